/** socket.io-client helpers, typed with the project's event contract. */
import { Agent } from "node:http";
import { io, type Socket } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import type { ClientToServerEvents, Identity, Result, ServerToClientEvents } from "../../services/shared/events.js";
import { DEFAULT_TIMEOUT_MS, within } from "./wait.js";

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type Transport = "polling" | "websocket";

export interface ClientOptions {
  /** Only this transport (no upgrade); both, polling first, when omitted. */
  transport?: Transport;
  /**
   * Source address, e.g. "127.3.0.1": ip_hash hashes the first three octets, so clients on distinct
   * 127.N.0.1 addresses can reach distinct replicas. Applied through an http.Agent for both transports.
   */
  localAddress?: string;
  /** @default false: tests decide when to reconnect */
  reconnection?: boolean;
  /** Sent as the Origin header (browsers do; Node clients do not unless asked). */
  origin?: string;
  /** The handshake's `auth` payload, e.g. `{ token }`. */
  auth?: Record<string, unknown>;
  /** First reconnection delay; it doubles up to 4x. @default socket.io-client's 1000 ms */
  reconnectionDelayMs?: number;
  /** Socket.IO wire format; must match the server's SOCKET_PARSER. */
  parser?: "default" | "msgpack";
}

export function createClient(url: string, options: ClientOptions = {}): TestSocket {
  const agent = options.localAddress ? new Agent({ localAddress: options.localAddress } as never) : undefined;
  return io(url, {
    transports: options.transport ? [options.transport] : ["polling", "websocket"],
    reconnection: options.reconnection ?? false,
    forceNew: true,
    timeout: 20_000,
    ...(agent ? { agent: agent as never } : {}),
    ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.parser === "msgpack" ? { parser: msgpackParser } : {}),
    ...(options.reconnectionDelayMs
      ? { reconnectionDelay: options.reconnectionDelayMs, reconnectionDelayMax: options.reconnectionDelayMs * 4 }
      : {}),
  });
}

/** Connects and resolves once the server's `hello` arrived. */
export async function connectClient(
  url: string,
  options: ClientOptions = {},
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<{ socket: TestSocket; hello: Identity }> {
  const socket = createClient(url, options);
  const hello = await new Promise<Identity>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`timed out after ${timeoutMs} ms waiting for hello from ${url}`)),
      timeoutMs,
    );
    const onError = (err: Error) => fail(new Error(`connect_error from ${url}: ${err.message}`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.off("hello", resolve).off("connect_error", onError).disconnect();
      reject(err);
    };
    socket.once("hello", (identity) => {
      clearTimeout(timer);
      socket.off("connect_error", onError);
      resolve(identity);
    });
    socket.once("connect_error", onError);
  });
  return { socket, hello };
}

/** Emits with an ack and fails loudly if none comes. */
export function request<T = Result>(socket: TestSocket, event: string, ...args: unknown[]): Promise<T> {
  const acked = new Promise<T>((resolve) => {
    (socket.emit as (ev: string, ...a: unknown[]) => void)(event, ...args, resolve);
  });
  return within(acked, DEFAULT_TIMEOUT_MS, `ack of ${event}`);
}

/** `whoami`, failing the test when the answer is a refusal (the rate limiter's) rather than an identity. */
export async function whoami(socket: TestSocket): Promise<Identity> {
  const answer = await within(socket.emitWithAck("whoami"), DEFAULT_TIMEOUT_MS, "ack of whoami");
  if ("ok" in answer) throw new Error(`whoami refused: ${answer.error}`);
  return answer;
}

export function closeAll(sockets: Iterable<TestSocket>): void {
  for (const socket of sockets) socket.disconnect();
}
