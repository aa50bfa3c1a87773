/**
 * The application alone, in this process: `createSocketServer()` on an http.Server on a free loopback port, with
 * Socket.IO's in-memory adapter and live delivery. No Redis, no cluster, no nginx: what a handler test needs,
 * started in milliseconds.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createSocketServer, type SocketServerOptions } from "../../services/server/app/socket-server.js";
import type { Identity } from "../../services/shared/events.js";
import type { AppServer } from "../../services/server/socket-types.js";
import { TEST_SOCKET_OPTIONS, testLog } from "./socket-node.js";

export interface AppNode {
  identity: Identity;
  io: AppServer;
  url: string;
  close(): Promise<void>;
}

export async function startAppNode(options: Partial<SocketServerOptions> = {}): Promise<AppNode> {
  const identity = { replica: "in-process", worker: 0, pid: process.pid };
  const http = createServer();
  const io = createSocketServer({
    httpServer: http,
    identity,
    log: testLog,
    options: { ...TEST_SOCKET_OPTIONS, ...options },
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    identity,
    io,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}
