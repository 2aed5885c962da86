"use client";

// The last-resort boundary, for errors in the root layout itself.
export default function GlobalError({ reset }) {
  return (
    <html lang="en">
      <body>
        <h1 id="title">global error</h1>
        <button onClick={() => reset()}>retry</button>
      </body>
    </html>
  );
}
