"use client";

// The error boundary for the app's routes.
export default function ErrorPage({ reset }) {
  return (
    <>
      <h1 id="title">error</h1>
      <button id="retry" onClick={() => reset()}>retry</button>
    </>
  );
}
