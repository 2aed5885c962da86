// Package origin is the edge's Origin and CORS policy (SEC-11): which web
// origins may talk to the site with the user's cookies, judged from the
// request's Origin header (and Sec-Fetch-Site when Origin is absent).
//
// It owns the origin parser (scheme, host and port compared exactly;
// hosts punycode-normalised, default ports dropped, "null" foreign), the
// refusals (a foreign Origin on /socket.io/, websocket or polling; a
// state-changing request with cookies from a foreign Origin or, without
// Origin, from a cross-site context), CORS preflights answered at the
// edge for allowed origins, and the filtering of Access-Control-Allow-*
// response headers the app sets for origins the edge does not allow.
//
// It works on net/http alone and must not import Caddy, the audit log or
// a database driver: refusals are reported through a secevent.Emitter,
// and the client address comes from the caller (Caddy's client_ip).
package origin
