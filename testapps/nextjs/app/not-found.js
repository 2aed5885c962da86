import Link from "next/link";

// Unknown URLs: Next.js prerenders this page and serves it with status 404.
export default function NotFound() {
  return (
    <>
      <h1 id="title">not found</h1>
      <Link href="/static" id="nf-static">back to a real page</Link>
    </>
  );
}
