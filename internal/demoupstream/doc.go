// Package demoupstream is a small in-memory stand-in for the OComms app
// (Next.js 16 App Router + better-auth 1.4 + Socket.IO) behind the edge,
// used by `make demo`, by tests through Caddy and by browser tests.
//
// Wherever a recorded fixture exists (internal/fixtures), the answer's
// status, headers and body shape come from it. Routes:
//
//	/api/auth/…                 better-auth: POST sign-in/email, sign-up/email
//	                            (JSON or form), sign-out, change-password,
//	                            request-password-reset, reset-password,
//	                            organization/{create,invite-member,
//	                            accept-invitation,update-member-role,
//	                            remove-member}; GET get-session,
//	                            reset-password/<token>; anything else 404
//	GET /, /chat                dynamic pages, nonce from the request CSP
//	GET /login, /signup         prerendered pages, no nonce
//	GET /_next/static/…         main-app.js (SRI), lazy.js, app.css
//	/socket.io/                 engine.io v4 long-polling
//	GET /api/health             {"status":"healthy","timestamp":…}
//	POST /api/admin/export      401 without a session, 200 with one
//	POST /api/upload/avatar     multipart "file", at most 2 MB
//	GET /boom, GET /redirect    500 HTML, 307 to /login
//	/__echo[/…]                 Echo of the request, any method
//
// Every response except /socket.io/ carries X-Powered-By: Next.js.
package demoupstream
