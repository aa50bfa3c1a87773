/**
 * The baselines measured in the same run as the deployment: a raw `ws` server broadcasting in one process
 * (the practical ceiling of the hardware) and a plain Socket.IO server in one process. Each generates the
 * messages itself, at the rate the orchestrator asks for.
 *
 *   node baseline-server.js ws|socket.io
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";
import { WebSocketServer, WebSocket } from "ws";
import { pace } from "./pace.js";
import { now, type SourceCommand, type SourceReply } from "./protocol.js";

const mode = process.argv[2];
if (mode !== "ws" && mode !== "socket.io") throw new Error("usage: baseline-server.js ws|socket.io");

const httpServer = createServer();
let broadcast: (payload: string | object) => void;
if (mode === "ws") {
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: process.argv[4] === "true" });
  broadcast = (payload) => {
    const text = JSON.stringify(payload);
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
  };
} else {
  // argv[3] "msgpack": the same wire format as `--parser msgpack` gives the topology.
  const io = new Server(httpServer, {
    ...(process.argv[3] === "msgpack" ? { parser: msgpackParser } : {}),
    perMessageDeflate: process.argv[4] === "true",
  });
  io.on("connection", (socket) =>
    socket.emit("hello" as never, { replica: "baseline", worker: 0, pid: process.pid } as never),
  );
  broadcast = (payload) => io.emit("bench" as never, payload as never);
}

const send = (reply: SourceReply) => process.send?.(reply);
httpServer.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () =>
  send({ type: "listening", port: (httpServer.address() as AddressInfo).port }),
);

process.on("message", async (command: SourceCommand) => {
  if (command.type === "stop") process.exit(0);
  const sent = await pace(command.rate, command.durationMs, (i) => broadcast({ seq: command.firstSeq + i, t: now() }));
  send({ type: "done", sent });
});
