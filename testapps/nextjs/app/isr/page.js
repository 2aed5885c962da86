// Incremental static regeneration: prerendered, regenerated at most every
// 60 s in the background.
export const revalidate = 60;

export default function ISR() {
  return (
    <>
      <h1 id="title">isr</h1>
      <p id="generated">{Date.now()}</p>
    </>
  );
}
