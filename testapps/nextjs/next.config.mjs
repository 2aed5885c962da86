/** @type {import('next').NextConfig} */
const nextConfig = {
  // The edge strips fingerprinting headers anyway; the app needn't send them.
  poweredByHeader: false,
  // The edge compresses toward the client (Caddy's encode). The app's own
  // compression stays on so the tests also see what an app that compresses
  // HTML itself does behind the edge.
  compress: true,
};

export default nextConfig;
