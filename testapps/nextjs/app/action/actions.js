"use server";

// echo is a server action: the browser posts the form to the page's URL
// with a Next-Action header, through the edge.
export async function echo(prev, formData) {
  const text = String(formData.get("text") || "");
  return { count: (prev?.count || 0) + 1, text: text.toUpperCase() };
}
