/**
 * A TCP relay in front of a real redis-server that can make one exchange go wrong, on the connection that
 * carries it:
 * - `cutReplyTo(marker)`: once a request carrying `marker` has been relayed, Redis's next answer is swallowed
 *   and the connection cut. Redis has run the command; the client sees a broken connection. That is the unknown
 *   outcome a publisher must be able to retry without publishing twice (Redis stopping between running a
 *   script and writing its reply does the same).
 * - `holdRequest(marker)`: the request carrying `marker`, and everything after it on that connection, waits
 *   until the test releases it: a client slow to reach Redis, for exactly as long as the test needs.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";

export interface HeldRequest {
  /** Resolves once a request carrying the marker has arrived and is being held. */
  held: Promise<void>;
  /** Sends it, and what followed it, on to Redis. */
  release(): void;
}

export interface RedisRelay {
  /** `redis://` URL of the relay, with the real server's password if it has one. */
  url: string;
  /** Loses the reply to the next request that contains `marker`; resolves once it did. */
  cutReplyTo(marker: string): Promise<void>;
  /** Holds the next request that contains `marker` until `release()`. */
  holdRequest(marker: string): HeldRequest;
  close(): Promise<void>;
}

export async function startRedisRelay(redisUrl: string): Promise<RedisRelay> {
  const target = new URL(redisUrl);
  const pairs = new Set<[Socket, Socket]>();
  let cutArmed: { marker: Buffer; done: () => void } | undefined;
  let holdArmed: { marker: Buffer; holding: (flush: () => void) => void } | undefined;

  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    let cutNextReply: (() => void) | undefined;
    let held: Buffer[] | undefined;
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      if (held) return void held.push(chunk);
      if (holdArmed && chunk.includes(holdArmed.marker)) {
        const { holding } = holdArmed;
        holdArmed = undefined;
        held = [chunk];
        return holding(() => {
          for (const data of held ?? []) upstream.write(data);
          held = undefined;
        });
      }
      upstream.write(chunk);
      if (cutArmed && chunk.includes(cutArmed.marker)) {
        cutNextReply = cutArmed.done;
        cutArmed = undefined;
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
    cutReplyTo: (marker) => new Promise<void>((done) => (cutArmed = { marker: Buffer.from(marker), done })),
    holdRequest: (marker) => {
      let flush: (() => void) | undefined;
      let released = false;
      const held = new Promise<void>((resolve) => {
        holdArmed = {
          marker: Buffer.from(marker),
          holding: (send) => {
            flush = send;
            if (released) send();
            resolve();
          },
        };
      });
      return {
        held,
        release: () => {
          released = true;
          flush?.();
        },
      };
    },
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
