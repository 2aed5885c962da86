// A real better-auth 1.4 server with the admin plugin (user.role), as an
// OComms deployment with admins has it, on PostgreSQL: the app whose
// get-session endpoint the console asks whether a user is an admin.
//
// Beside better-auth's routes under /api/auth it serves, for the test that
// drives it only (never behind the edge):
//   POST /__test/make-admin?email=EMAIL   sets that user's role to admin
//
// Environment: PORT, DATABASE_URL (required), BA_BASE_URL (the edge's
// origin, where the browser signs in), BA_SECRET.
import http from "node:http";
import pg from "pg";
import { betterAuth } from "better-auth";
import { toNodeHandler } from "better-auth/node";
import { admin } from "better-auth/plugins";
import { getMigrations } from "better-auth/db";

const port = Number(process.env.PORT || 3000);
if (!process.env.DATABASE_URL) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}
const baseURL = process.env.BA_BASE_URL || `http://127.0.0.1:${port}`;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

const auth = betterAuth({
  baseURL,
  secret: process.env.BA_SECRET || "console-test-secret-console-test-secret",
  database: pool,
  emailAndPassword: { enabled: true, autoSignIn: true },
  rateLimit: { enabled: false },
  plugins: [admin()],
  logger: { disabled: true },
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const handler = toNodeHandler(auth);
http
  .createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/__test/make-admin" && req.method === "POST") {
      const r = await pool.query(`UPDATE "user" SET role = 'admin' WHERE email = $1`, [url.searchParams.get("email")]);
      res.writeHead(r.rowCount === 1 ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify({ updated: r.rowCount }));
      return;
    }
    if (url.pathname.startsWith("/api/auth")) return handler(req, res);
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"error":"not found"}');
  })
  .listen(port, "127.0.0.1");
