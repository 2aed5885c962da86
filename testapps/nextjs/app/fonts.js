import localFont from "next/font/local";

// next/font/local with the Geist font file shipped by the geist npm package:
// no network at build time, and the font is served from /_next/static.
export const sans = localFont({
  src: "../node_modules/geist/dist/fonts/geist-sans/Geist-Regular.woff2",
  variable: "--font-sans",
  display: "swap",
});
