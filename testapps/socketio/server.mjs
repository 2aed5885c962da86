// A real Socket.IO server (OComms' own settings: default path /socket.io/,
// pingInterval 25 s, pingTimeout 20 s, polling then websocket) for the
// edge's timeout tests. Besides Socket.IO it answers:
//   POST /upload  reads the whole body, answers {"bytes": n}
// The "echo" event's ack names the engine.io connection that carried it,
// so a client can tell its connection was never replaced.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT || 3000);
const host = process.env.HOSTNAME || "127.0.0.1";

const http = createServer((req, res) => {
  if (req.url === "/upload" && req.method === "POST") {
    let n = 0;
    req.on("data", (chunk) => { n += chunk.length; });
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ bytes: n }));
    });
    req.on("error", () => {});
    return;
  }
  if (req.url.startsWith("/socket.io/")) {
    return; // engine.io answers
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ code: "NOT_FOUND", message: "not found" }));
});

const io = new Server(http);
io.on("connection", (socket) => {
  socket.on("echo", (msg, ack) => ack({ echo: msg, transport: socket.conn.transport.name, conn: socket.conn.id }));
});

http.listen(port, host, () => console.log(`socket.io test server on ${host}:${port}`));
