// Command ocomms-bench is the end-to-end benchmark of the OComms edge: in one run
// on one machine it drives the same load through four ocomms-caddy
// processes in front of one demo OComms upstream process:
//
//	stock          Caddy reverse_proxy, nothing else
//	stock+header   the same with a hand-written header block setting the
//	               ocomms preset's headers with a fixed CSP
//	edge           every ocomms module this build registers, on embedded
//	               defaults (memory stores)
//	edge+redis+pg  the same on a test-owned redis-server and, when the
//	               build has ocomms_audit, PostgreSQL at 127.0.0.1:5432
//
// Scenarios: GET / (a dynamic page), GET /api/health (inside the
// rate-limited api-ip zone, from rotating client addresses so no budget
// runs out), Socket.IO long-polling cycles, and a login flood (failing
// sign-ins at 10× the per-email limit). Configurations are interleaved in
// rounds, in a rotating order, to cancel drift; the report gives requests/s
// as ratios to stock Caddy and the added p50/p99 latency, as markdown.
//
//	go run ./cmd/ocomms-bench            # about 2 minutes of measurement
//	go run ./cmd/ocomms-bench -quick     # a smoke run (seconds)
package main
