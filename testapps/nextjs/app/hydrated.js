"use client";

import { useEffect } from "react";
import { usePathname } from "next/navigation";

// Hydrated marks the document once React has hydrated this page (and again
// after each client-side navigation): the browser test reads it.
export default function Hydrated() {
  const pathname = usePathname();
  useEffect(() => {
    document.documentElement.dataset.hydrated = pathname;
  }, [pathname]);
  return null;
}
