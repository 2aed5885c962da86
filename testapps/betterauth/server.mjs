// A real better-auth 1.4 server, configured like OComms (email and
// password, email verification with auto sign-in, password reset, the
// twoFactor plugin), on PostgreSQL, behind the edge in tests.
//
// Beside better-auth's own routes under /api/auth it serves, for the test
// that drives it only (never behind the edge in production):
//   GET /__test/received?id=ID   what the handler of the request whose
//                                X-Test-Id header was ID received: path,
//                                method, content type, and the body as
//                                better-call parsed it (null when none),
//                                and its email as JavaScript lower-cases
//                                it (better-auth's account key)
//   GET /__test/mail?to=EMAIL    the verification and reset mails sent
//   GET /__test/health           200 once migrations ran
//
// Environment: PORT, DATABASE_URL (required), BA_BASE_URL (default
// http://127.0.0.1:$PORT), BA_SECRET, BA_RATE_LIMIT=on (better-auth's own
// limiter; off by default), BA_REQUIRE_VERIFICATION=1 (OComms v0.1.0's
// setting), BA_TRUSTED_ORIGINS (comma-separated), BA_FAST_HASH=1 (a cheap
// password hash instead of scrypt, for tests that send thousands of
// sign-ins; it changes nothing in how requests are read), BA_LOG=off
// (better-auth's own logger silent, for runs of thousands of failures).
import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { betterAuth } from "better-auth";
import { createAuthMiddleware } from "better-auth/api";
import { toNodeHandler } from "better-auth/node";
import { twoFactor } from "better-auth/plugins";
import { getMigrations } from "better-auth/db";

const port = Number(process.env.PORT || 3000);
const baseURL = process.env.BA_BASE_URL || `http://127.0.0.1:${port}`;
if (!process.env.DATABASE_URL) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}

const received = new Map(); // X-Test-Id -> what the handler got
const mail = []; // {to, kind, url, token}

// record keeps what better-call parsed for the request before any
// validation, exactly the object the endpoint's handler reads ctx.body from.
const record = createAuthMiddleware(async (ctx) => {
  const id = ctx.headers?.get("x-test-id");
  if (!id) return;
  received.set(id, {
    path: ctx.path,
    method: ctx.request?.method ?? null,
    contentType: ctx.headers.get("content-type"),
    body: describe(ctx.body),
    emailLower: typeof ctx.body?.email === "string" ? ctx.body.email.toLowerCase() : null,
  });
});

// describe turns a parsed body into JSON-safe form, keeping the type of
// each top-level value (a File from multipart becomes {"$file": name}).
function describe(body) {
  if (body === undefined || body === null) return null;
  if (typeof body !== "object") return { $raw: typeof body, value: String(body) };
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return { $raw: "binary" };
  if (typeof Blob !== "undefined" && body instanceof Blob) return { $raw: "blob" };
  if (Array.isArray(body)) return { $raw: "array" };
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof File !== "undefined" && v instanceof File) out[k] = { $file: v.name };
    else out[k] = v;
  }
  return out;
}

// fastHash is SHA-256 with a per-password salt: fast, never for production.
const fastHash = {
  hash: async (password) => {
    const salt = randomBytes(8).toString("hex");
    return salt + ":" + createHash("sha256").update(salt + password).digest("hex");
  },
  verify: async ({ hash, password }) => {
    const [salt, digest] = hash.split(":");
    return createHash("sha256").update(salt + password).digest("hex") === digest;
  },
};

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5 });

export const auth = betterAuth({
  baseURL,
  basePath: "/api/auth",
  secret: process.env.BA_SECRET || "edge-test-secret-edge-test-secret-0123456789",
  database: pool,
  trustedOrigins: (process.env.BA_TRUSTED_ORIGINS || "").split(",").filter(Boolean),
  rateLimit: { enabled: process.env.BA_RATE_LIMIT === "on" },
  emailAndPassword: {
    enabled: true,
    requireEmailVerification: process.env.BA_REQUIRE_VERIFICATION === "1",
    ...(process.env.BA_FAST_HASH === "1" ? { password: fastHash } : {}),
    sendResetPassword: async ({ user, url, token }) => {
      mail.push({ to: user.email, kind: "reset", url, token });
    },
  },
  emailVerification: {
    sendOnSignUp: true,
    autoSignInAfterVerification: true,
    sendVerificationEmail: async ({ user, url, token }) => {
      mail.push({ to: user.email, kind: "verify", url, token });
    },
  },
  plugins: [twoFactor({ issuer: "ocomms-edge-test" })],
  logger: { disabled: process.env.BA_LOG === "off" },
  hooks: { before: record },
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const authHandler = toNodeHandler(auth);

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/__test/health") return json(res, 200, { ok: true });
  if (url.pathname === "/__test/received") {
    const id = url.searchParams.get("id");
    return received.has(id) ? json(res, 200, received.get(id)) : json(res, 404, null);
  }
  if (url.pathname === "/__test/mail") {
    const to = (url.searchParams.get("to") || "").toLowerCase();
    return json(res, 200, mail.filter((m) => m.to.toLowerCase() === to));
  }
  if (url.pathname.startsWith("/api/auth")) return authHandler(req, res);
  if (url.pathname === "/api/health") return json(res, 200, { status: "ok" });
  // Pages: a minimal stand-in so that redirects after verification land.
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end("<!doctype html><title>app</title><p>page " + url.pathname.replace(/[<>&"]/g, "") + "</p>");
});

server.listen(port, "127.0.0.1", () => {
  console.log(`better-auth test server on ${baseURL}`);
});
