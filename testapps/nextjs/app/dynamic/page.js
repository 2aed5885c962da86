import { headers } from "next/headers";

// Rendered per request: Next.js reads the nonce from the request's
// Content-Security-Policy header (set by the edge) and stamps its scripts.
export default async function Dynamic() {
  const h = await headers();
  const csp = h.get("content-security-policy") || "";
  return (
    <>
      <h1 id="title">dynamic</h1>
      <p id="has-nonce">{csp.includes("'nonce-") ? "yes" : "no"}</p>
    </>
  );
}
