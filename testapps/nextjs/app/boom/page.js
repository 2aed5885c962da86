import { connection } from "next/server";

// A dynamic route that throws while rendering: error.js answers.
export default async function Boom() {
  await connection();
  throw new Error("boom: this route always throws");
}
