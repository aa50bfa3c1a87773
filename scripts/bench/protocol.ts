/** Messages between the benchmark orchestrator and its child processes (load generators, baseline servers). */

export type ClientKind = "socket.io" | "ws";

/** Orchestrator -> load process. */
export type LoadCommand =
  | {
      /** Replaces the clients of an earlier `connect`, which are closed. */
      type: "connect";
      /** Where the clients connect, spread over the list by index: one (nginx, or a baseline server), or every
       * replica's own port for `topology-no-nginx`. */
      urls: string[];
      kind: ClientKind;
      count: number;
      /** "upgrade": socket.io-client's default, HTTP long-polling first, then an upgrade to WebSocket. */
      transport: "websocket" | "polling" | "upgrade";
      /** Source addresses to spread the sockets over (ip_hash sees them as distinct clients). */
      localAddresses: string[];
      /** Reconnect when disconnected (reconnection storm). */
      reconnect: boolean;
      /** Socket.IO wire format; must match the servers'. */
      parser: "default" | "msgpack";
      perMessageDeflate: boolean;
      /** Use the project's client library (client/): it resumes after a reconnection (history on the servers). */
      resume: boolean;
    }
  | { type: "expect"; firstSeq: number; lastSeq: number }
  | { type: "stats" }
  /** Per client that was disconnected: when, when it was back, when it first received after that. */
  | { type: "storm" }
  | { type: "close" };

/**
 * [disconnected at, back at (its `hello`), first message received after that, that message's send time (its
 * payload's `t`)]; `now()` clock, null: not yet.
 */
export type StormTimes = [number, number | null, number | null, number | null];

/** Load process -> orchestrator. */
export type LoadReply =
  | { type: "connected"; ok: number; failed: number; errors: Record<string, number>; ms: number }
  | { type: "stats"; stats: LoadStats }
  /** `loopDelayMaxMs`: the process's longest event-loop stall since the previous `storm` question. */
  | { type: "storm"; times: StormTimes[]; loopDelayMaxMs: number }
  | { type: "all-received"; seq: number };

export interface LoadStats {
  /** Connected socket.io clients per replica (from their latest hello). */
  replicas: Record<string, number>;
  clients: number;
  connected: number;
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Latency histogram: index = 0.1 ms bucket, value = count; sparse as [bucket, count] pairs. */
  histogram: Array<[number, number]>;
  /** Sampled messages' hops (history on): publisher -> Redis appended, Redis -> client; same buckets. */
  hops?: { toRedis: Array<[number, number]>; fromRedis: Array<[number, number]> };
  /** When the latest message arrived (ms, same clock as `now()`). */
  lastAt: number;
  /** CPU microseconds (user + system) and event-loop utilisation since the last stats. */
  cpuMicros: number;
  elu: number;
  /** With `resume`: messages replayed by the servers, and channels reported lost, since the last stats. */
  replayed: number;
  notRecovered: number;
}

/** Orchestrator -> baseline server. */
export type SourceCommand = { type: "run"; rate: number; durationMs: number; firstSeq: number } | { type: "stop" };
export type SourceReply = { type: "listening"; port: number } | { type: "done"; sent: number };

/** The benchmark event's payload: a sequence number and the send time (ms, sub-ms precision). */
export interface BenchPayload {
  seq: number;
  t: number;
}

/** Wall clock in ms with sub-ms precision, comparable across processes of one machine. */
export const now = (): number => performance.timeOrigin + performance.now();
