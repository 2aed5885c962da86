"use client";

import { useActionState } from "react";
import { echo } from "./actions";

export default function EchoForm() {
  const [state, action, pending] = useActionState(echo, { count: 0, text: "" });
  return (
    <form action={action}>
      <input name="text" id="text" defaultValue="hello" />
      <button type="submit" id="submit" disabled={pending}>send</button>
      <p id="result" data-count={state.count}>{state.text}</p>
    </form>
  );
}
