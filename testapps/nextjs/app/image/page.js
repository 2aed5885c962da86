import Image from "next/image";

// next/image: served through the image optimizer at /_next/image.
export default function ImagePage() {
  return (
    <>
      <h1 id="title">image</h1>
      <Image src="/square.png" alt="a square" width={32} height={32} id="img" priority />
    </>
  );
}
