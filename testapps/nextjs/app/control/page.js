import { connection } from "next/server";

// The control: a dynamic page (Next.js stamps its own scripts with the
// request's nonce) that carries one inline script without the nonce, as an
// HTML injection would. The policy must block exactly that one.
export default async function Control() {
  await connection();
  return (
    <>
      <h1 id="title">control</h1>
      <div
        dangerouslySetInnerHTML={{
          __html: '<script>document.documentElement.dataset.control="ran"</script>',
        }}
      />
    </>
  );
}
