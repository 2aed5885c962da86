import Link from "next/link";
import { sans } from "./fonts";
import Hydrated from "./hydrated";

export const metadata = { title: "ocomms-edge Next.js test app" };

export default function RootLayout({ children }) {
  return (
    <html lang="en" className={sans.variable}>
      <body style={{ fontFamily: "var(--font-sans)" }}>
        <nav>
          <Link href="/" id="nav-home">home</Link>{" "}
          <Link href="/static" id="nav-static">static</Link>{" "}
          <Link href="/dynamic" id="nav-dynamic">dynamic</Link>{" "}
          <Link href="/isr" id="nav-isr">isr</Link>{" "}
          <Link href="/action" id="nav-action">action</Link>{" "}
          <Link href="/image" id="nav-image">image</Link>
        </nav>
        <main>{children}</main>
        <Hydrated />
      </body>
    </html>
  );
}
