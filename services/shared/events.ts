/**
 * The public event contract, declared once and used by the server (`Server<ClientToServerEvents,
 * ServerToClientEvents, InterServerEvents, SocketData>`), the test and benchmark clients
 * (`Socket<ServerToClientEvents, ClientToServerEvents>`) and the broadcaster (`Emitter<ServerToClientEvents>`).
 *
 * Forking this project? Add your events here first; TypeScript then shows every place that must follow.
 */

import type { Position, SyncRequest, SyncResult } from "./position.js";

/** Which process a client reached: sent as `hello` on connect and returned by `whoami`. */
export interface Identity {
  /** `REPLICA_NAME` of the replica (default: the hostname). */
  replica: string;
  /** `cluster` worker id inside the replica (0 when the server runs outside a cluster). */
  worker: number;
  pid: number;
}

/** Every acknowledgement that can fail has this shape; `error` is meant for humans. */
export type Result = { ok: true } | { ok: false; error: string };

/**
 * What the rate limiter (services/server/app/rate-limit.ts) answers, instead of the handler, to any event with
 * an ack that it refuses. Every ack below accepts it; the compiler checks that (`EveryAckAcceptsRefusal`).
 */
export type Refusal = { ok: false; error: string };

/** `join`'s answer: with history kept (Redis), the room's position when the socket joined, to resume from. */
export type JoinResult = { ok: true; position?: Position } | { ok: false; error: string };

export interface Tick {
  /** Increases by one per tick of one broadcaster process (restarts at 1 when it restarts). */
  seq: number;
  /** `Date.now()` on the broadcaster when the tick was published. */
  at: number;
}

export interface ChatRequest {
  room: string;
  text: string;
}

export interface ChatMessage extends ChatRequest {
  /** The sender's socket id. */
  from: string;
}

export interface ServerToClientEvents {
  hello: (identity: Identity) => void;
  tick: (tick: Tick) => void;
  chat: (message: ChatMessage) => void;
}

export interface ClientToServerEvents {
  whoami: (ack: (identity: Identity | Refusal) => void) => void;
  join: (room: string, ack: (result: JoinResult) => void) => void;
  leave: (room: string, ack: (result: Result) => void) => void;
  chat: (message: ChatRequest, ack: (result: Result) => void) => void;
  /** Asks every server through the adapter who it is: a cluster-wide request, bounded by a timeout. */
  servers: (ack: (result: ServersResult) => void) => void;
  /**
   * Resume: rejoins the rooms of the channels listed, replays what was published after each position (as the
   * same events, before the ack), and answers per channel. See shared/position.ts and client/.
   */
  sync: (request: SyncRequest, ack: (result: SyncResult) => void) => void;
}

/** Events between servers (`io.serverSideEmit`), through the adapter. */
export interface InterServerEvents {
  /** Asks every other server who it is and how many clients it holds; for `servers` (tests, the demo page). */
  identify: (ack: (server: ServerInfo) => void) => void;
}

/** Who a socket belongs to, when handshake authentication is on (`AUTH_JWT_SECRET`). */
export interface User {
  /** The token's `sub`. */
  id: string;
  /** The token's `rooms` claim: the only rooms this user may join. Absent: any room. */
  rooms?: string[];
}

/** Per-socket data, visible to `fetchSockets()` on every server. */
export interface SocketData {
  identity: Identity;
  user?: User;
}

/** A server as `servers` reports it: who it is, and how many clients (Engine.IO connections) it holds now. */
export interface ServerInfo extends Identity {
  clients: number;
}

/** Answer of `servers`: every server that replied in time, this one first. */
export type ServersResult = { ok: true; servers: ServerInfo[] } | { ok: false; error: string };

type AckArgument<F> = F extends (...args: infer A) => void
  ? A extends [...unknown[], (result: infer R) => void]
    ? R
    : never
  : never;
type AcceptsRefusal = {
  [E in keyof ClientToServerEvents]: Refusal extends AckArgument<ClientToServerEvents[E]> ? E : never;
}[keyof ClientToServerEvents];
type Assert<T extends true> = T;
/** Does not compile when an event's ack cannot receive a `Refusal`. */
export type EveryAckAcceptsRefusal = Assert<keyof ClientToServerEvents extends AcceptsRefusal ? true : false>;
