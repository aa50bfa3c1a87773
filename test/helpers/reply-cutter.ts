/**
 * A TCP relay in front of a real redis-server that can lose one reply: once a request carrying `marker` has
 * been relayed, Redis's next answer on that connection is swallowed and the connection cut. Redis has run the
 * command; the client sees a broken connection. That is the unknown outcome a publisher must be able to retry
 * without publishing twice (Redis stopping between running a script and writing its reply does the same).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";

export interface ReplyCutter {
  /** `redis://` URL of the relay, with the real server's password if it has one. */
  url: string;
  /** Loses the reply to the next request that contains `marker`; resolves once it did. */
  cutReplyTo(marker: string): Promise<void>;
  close(): Promise<void>;
}

export async function startReplyCutter(redisUrl: string): Promise<ReplyCutter> {
  const target = new URL(redisUrl);
  const pairs = new Set<[Socket, Socket]>();
  let armed: { marker: Buffer; done: () => void } | undefined;

  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    let cutNextReply: (() => void) | undefined;
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      if (armed && chunk.includes(armed.marker)) {
        cutNextReply = armed.done;
        armed = undefined;
      }
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!cutNextReply) return void client.write(chunk);
      const done = cutNextReply;
      cutNextReply = undefined;
      end();
      done();
    });
    for (const socket of pair) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(redisUrl);
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    cutReplyTo: (marker) => new Promise<void>((done) => (armed = { marker: Buffer.from(marker), done })),
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
