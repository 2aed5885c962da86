export default function Home() {
  return <h1 id="title">home</h1>;
}
