/**
 * The warm-up's clients (warm-up-clients.ts forks this file): raw WebSockets speaking just enough Engine.IO and
 * Socket.IO to join the warm-up namespace and count, per broadcast, how many of them received it. Cheaper than
 * socket.io-client, and outside the worker being warmed (warm-up-clients.ts says why).
 * @see https://github.com/socketio/socket.io/tree/main/docs/socket.io-protocol/v5-current.md
 */
import { fileURLToPath } from "node:url";
import { decode } from "notepack.io";
import { WebSocket } from "ws";

/** What the worker passes, as one JSON argument. */
export interface ClientsArgs {
  /** The worker's loopback WebSocket URL. */
  url: string;
  count: number;
  /** How long one socket may take to join; it is left out after that. */
  timeoutMs: number;
  /** The Socket.IO CONNECT packet for the namespace, base64; binary for msgpack. */
  connectPacket: string;
  binary: boolean;
}

/** What the worker sends: the warm-up is over. */
export type ToClients = { type: "close" };

/** What this process sends: how many joined, then per broadcast its first copy and the moment all have it. */
export type FromClients =
  { type: "joined"; joined: number } | { type: "arrived"; broadcast: number } | { type: "reached"; broadcast: number };

/** The index a warm-up broadcast carries (`emit("warm-up", i)`), in either wire format; -1 if none. */
export function broadcastIndex(data: Buffer, isBinary: boolean): number {
  try {
    // Text: Engine.IO "message" (4), Socket.IO EVENT (2), the namespace, then the JSON array.
    // Binary (msgpack parser): the whole packet, `{ type, nsp, data }`.
    const args: unknown = isBinary
      ? (decode(data) as { data?: unknown }).data
      : JSON.parse(data.toString().replace(/^[^[]*/, ""));
    const index = Array.isArray(args) ? args[1] : undefined;
    return Number.isInteger(index) ? (index as number) : -1;
  } catch {
    return -1;
  }
}

function run(args: ClientsArgs, send: (message: FromClients) => void): void {
  const connectPacket = args.binary
    ? Buffer.from(args.connectPacket, "base64")
    : Buffer.from(args.connectPacket, "base64").toString();
  const sockets: WebSocket[] = [];
  /** Copies received per broadcast index. */
  const counts = new Map<number, number>();
  let joined = 0;

  const receive = (data: Buffer, isBinary: boolean) => {
    const index = broadcastIndex(data, isBinary);
    if (index < 0) return;
    const count = (counts.get(index) ?? 0) + 1;
    counts.set(index, count);
    if (count === 1) send({ type: "arrived", broadcast: index });
    if (count === joined) send({ type: "reached", broadcast: index });
  };

  const join = () =>
    new Promise<boolean>((resolve) => {
      const ws = new WebSocket(args.url);
      sockets.push(ws);
      let state: "opening" | "joining" | "joined" = "opening";
      // Too slow: left out, and closed so that it does not count what arrives later.
      const timer = setTimeout(() => {
        ws.terminate();
        resolve(false);
      }, args.timeoutMs);
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        // Engine.IO ping ("2"): answered, as a client must.
        if (!isBinary && data.length === 1 && data[0] === 0x32) return ws.send("3");
        if (state === "joined") return receive(data, isBinary);
        if (state === "opening") {
          state = "joining";
          return ws.send(connectPacket);
        }
        state = "joined";
        clearTimeout(timer);
        resolve(true);
      });
      // Its timer goes with it: a pending one would keep this process alive after the worker is gone.
      const failed = () => {
        clearTimeout(timer);
        resolve(false);
      };
      ws.on("error", failed);
      ws.on("close", failed);
    });

  void Promise.all(Array.from({ length: args.count }, join)).then((results) => {
    joined = results.filter(Boolean).length;
    send({ type: "joined", joined });
  });

  process.on("message", (message: ToClients) => {
    if (message.type !== "close") return;
    let open = sockets.filter((ws) => ws.readyState !== WebSocket.CLOSED).length;
    if (open === 0) process.exit(0);
    for (const ws of sockets) {
      ws.once("close", () => --open === 0 && process.exit(0));
      ws.close();
    }
  });
  // The worker is gone (or closed the channel): nothing is left to warm.
  process.on("disconnect", () => process.exit(0));
}

// Run only as the forked entry point: tests import broadcastIndex, and run in processes with an IPC channel too.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  run(JSON.parse(process.argv[2]!) as ClientsArgs, (message) => process.send!(message));
}
