// Statically prerendered at build time: served with x-nextjs-prerender and
// no nonce of its own.
export const dynamic = "force-static";

export default function Static() {
  return (
    <>
      <h1 id="title">static</h1>
      <p id="built">{new Date(0).toISOString()}</p>
    </>
  );
}
