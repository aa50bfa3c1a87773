/** A Socket.IO server in this process on the Redis adapter: a replica without cluster, for integration tests. */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Identity } from "../../services/shared/events.js";
import { createLogger } from "../../services/shared/logger.js";
import { closeRedis, createRedisClient } from "../../services/shared/redis.js";
import { redisAdapter, type AdapterHandle } from "../../services/server/delivery/adapters.js";
import type { AppServer } from "../../services/server/socket-types.js";
import { resumableDelivery } from "../../services/server/delivery/delivery.js";
import { createSocketServer, type SocketServerOptions } from "../../services/server/app/socket-server.js";
import { History } from "../../services/shared/history.js";
import { ResumablePublisher } from "../../services/shared/resumable-publisher.js";

export const testLog = createLogger({ service: "test" }, { level: "error" });

/** Socket.IO's own defaults, as the in-process servers of the tests use them. */
export const TEST_SOCKET_OPTIONS: SocketServerOptions = {
  pingIntervalMs: 25_000,
  pingTimeoutMs: 20_000,
  connectTimeoutMs: 45_000,
  maxHttpBufferSize: 1e6,
  allowedOrigins: [],
};

export interface SocketNode {
  identity: Identity;
  io: AppServer;
  http: HttpServer;
  adapter: AdapterHandle;
  url: string;
  close(): Promise<void>;
}

export async function startSocketNode(
  redisUrl: string,
  name: string,
  options: Partial<SocketServerOptions> = {},
): Promise<SocketNode> {
  const identity = { replica: name, worker: 0, pid: process.pid };
  const http = createServer();
  const adapter = redisAdapter({ url: redisUrl, key: "socket.io", requestsTimeoutMs: 2_000 }, testLog);
  const history = new History(adapter.redis!, { key: "socket.io", size: 1000, ttlMs: 300_000 });
  const io = createSocketServer({
    httpServer: http,
    adapter: adapter.adapter,
    delivery: resumableDelivery(history, new ResumablePublisher(history, "socket.io")),
    identity,
    log: testLog,
    options: { ...TEST_SOCKET_OPTIONS, ...options },
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    identity,
    io,
    http,
    adapter,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await adapter.close();
    },
  };
}

/**
 * Resolves once `count` adapters have subscribed. Each adapter PSUBSCRIBEs the broadcast pattern, then
 * SUBSCRIBEs its request channel on the same connection, so counting the latter covers both.
 */
export async function waitForSubscribers(url: string, count: number): Promise<void> {
  const client = createRedisClient(url, testLog, { name: "test-probe" });
  await client.connect();
  try {
    const channel = "socket.io-request#/#";
    const subscribers = async () => Number(((await client.sendCommand(["PUBSUB", "NUMSUB", channel])) as unknown[])[1]);
    while ((await subscribers()) < count) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await closeRedis(client);
  }
}

export interface TestPublisher {
  publisher: ResumablePublisher;
  close(): Promise<void>;
}

/** Publishes as the broadcaster does (@socket.io/redis-emitter's encoding, through the history), on a client of its own. */
export async function startPublisher(redisUrl: string): Promise<TestPublisher> {
  const client = createRedisClient(redisUrl, testLog, { name: "test-publisher", disableOfflineQueue: true });
  await client.connect();
  const publisher = new ResumablePublisher(
    new History(client, { key: "socket.io", size: 100, ttlMs: 60_000 }),
    "socket.io",
  );
  return { publisher, close: () => closeRedis(client) };
}
