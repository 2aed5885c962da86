import { revalidatePath } from "next/cache";

// On-demand revalidation of the ISR page: the next request for /isr
// regenerates it, with whatever nonce that request carried.
export async function POST() {
  revalidatePath("/isr");
  return Response.json({ revalidated: true });
}
