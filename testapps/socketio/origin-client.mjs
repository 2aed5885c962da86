// One Socket.IO client for the edge's Origin tests: it connects through the
// edge with a chosen Origin and reports what happened. Usage:
//   node origin-client.mjs <url> <polling|websocket|upgrade> <origin|->
// polling and websocket use that transport only; upgrade starts with
// long-polling and must upgrade to websocket. "-" sends no Origin. The
// Origin goes on every polling request (extraHeaders) and on the websocket
// handshake (the ws "origin" option), as a browser on that origin would
// send it. Prints one JSON line: {"connected", "transport", "upgraded",
// "echo", "error", "description"}; exits 0 once it has reported.
import { io } from "socket.io-client";

const [url, mode, originArg] = process.argv.slice(2);
const origin = originArg === "-" ? undefined : originArg;
const result = { connected: false, transport: "", upgraded: false, echo: "", error: "", description: "" };

const opts = {
  transports: mode === "upgrade" ? ["polling", "websocket"] : [mode],
  upgrade: mode === "upgrade",
  reconnection: false,
  rejectUnauthorized: false, // Caddy's internal CA, made fresh per test
  timeout: 10000,
};
if (origin !== undefined) {
  opts.extraHeaders = { Origin: origin };
  opts.origin = origin;
}
const socket = io(url, opts);

function finish() {
  console.log(JSON.stringify(result));
  socket.close();
  process.exit(0);
}

const guard = setTimeout(() => { result.error = result.error || "timeout"; finish(); }, 20000);

socket.on("connect_error", (err) => {
  result.error = String(err && err.message ? err.message : err);
  const d = err && err.description;
  result.description = d === undefined ? "" : String(d && d.message ? d.message : d);
  clearTimeout(guard);
  finish();
});

socket.once("connect", async () => {
  result.connected = true;
  try {
    if (mode === "upgrade" && socket.io.engine.transport.name !== "websocket") {
      await new Promise((resolve, reject) => {
        socket.io.engine.once("upgrade", resolve);
        socket.io.engine.once("upgradeError", (e) => reject(new Error(`upgrade failed: ${e && e.message}`)));
        setTimeout(() => reject(new Error("no upgrade within 10s")), 10000);
      });
    }
    result.upgraded = socket.io.engine.transport.name === "websocket" && mode === "upgrade";
    const ack = await socket.timeout(10000).emitWithAck("echo", "hello");
    result.echo = ack.echo;
    result.transport = ack.transport;
  } catch (err) {
    result.error = String(err && err.message ? err.message : err);
  }
  clearTimeout(guard);
  finish();
});
