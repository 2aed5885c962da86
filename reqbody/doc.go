// Package reqbody is the edge's one reader of the request bodies it
// inspects: better-auth's sign-in, sign-up, password and reset bodies for
// the auth guard, and the bodies a rate-limit zone keys on.
//
// The edge decides how such a body is read instead of emulating how the
// app would read it. A body is accepted only in one strict form: exactly
// one Content-Type header line, ASCII, one type/subtype pair, at most a
// charset=utf-8 parameter, of a media type the endpoint allows
// (application/json everywhere, application/x-www-form-urlencoded where
// better-auth accepts forms); no Content-Encoding; valid UTF-8 without a
// byte order mark; no duplicate or case-variant keys; no lone surrogates.
// What is accepted is forwarded with the canonical Content-Type the edge
// read it as, so the app cannot choose another reading; the body bytes
// are forwarded unchanged. Everything else is refused before the app with
// a JSON error (400, 408, 413 or 415).
//
// The guard and the rate limiter both call Read; the second call on the
// same request reuses the first one's result.
//
// reqbody imports nothing of the edge but internal/apierror: no Caddy, no
// audit log.
package reqbody
