import EchoForm from "./form";

// A prerendered page whose form calls a server action.
export default function ActionPage() {
  return (
    <>
      <h1 id="title">action</h1>
      <EchoForm />
    </>
  );
}
