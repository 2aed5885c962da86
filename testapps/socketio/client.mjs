// One Socket.IO client that connects through the edge, stays idle, and
// checks its connection survived. Usage:
//   node client.mjs <url> <polling|websocket> <idle seconds>
// Prints one JSON line: {"ok", "transport", "sameSession", "disconnects",
// "error"}; exits 0 when ok. Reconnection is off: a drop is a failure.
// sameSession: the same socket id on this side and, on the server's, the
// same engine.io connection before and after the idle time.
import { io } from "socket.io-client";

const [url, transport, idleArg] = process.argv.slice(2);
const idleMs = Number(idleArg) * 1000;
const result = { ok: false, transport, sameSession: false, disconnects: [], error: "" };

const socket = io(url, {
  transports: [transport],
  upgrade: false,
  reconnection: false,
  rejectUnauthorized: false, // Caddy's internal CA, made fresh per test
  timeout: 10000,
});

function finish(code) {
  console.log(JSON.stringify(result));
  socket.close();
  process.exit(code);
}

socket.on("disconnect", (reason) => result.disconnects.push(reason));
socket.on("connect_error", (err) => { result.error = `connect_error: ${err.message}`; finish(1); });

socket.once("connect", async () => {
  try {
    const id = socket.id;
    const first = await socket.timeout(10000).emitWithAck("echo", "before");
    if (first.echo !== "before" || first.transport !== transport) {
      throw new Error(`first echo ${JSON.stringify(first)}`);
    }
    await new Promise((r) => setTimeout(r, idleMs));
    const second = await socket.timeout(10000).emitWithAck("echo", "after");
    result.sameSession = socket.connected && socket.id === id && second.conn === first.conn;
    result.ok = second.echo === "after" && result.sameSession && result.disconnects.length === 0;
    finish(result.ok ? 0 : 1);
  } catch (err) {
    result.error = String(err && err.message ? err.message : err);
    finish(1);
  }
});
