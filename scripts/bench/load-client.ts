/**
 * A load-generating child process: holds many clients (socket.io-client or raw ws), counts what they
 * receive, and reports latency histograms, losses, duplicates and its own CPU use to the orchestrator.
 */
import { Agent } from "node:http";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import WebSocket from "ws";
import { connect } from "../../client/index.js";
import { publishedAtOf } from "../../client/position.js";
import {
  now,
  type BenchPayload,
  type LoadCommand,
  type LoadReply,
  type LoadStats,
  type StormTimes,
} from "./protocol.js";

const BUCKETS = 200_000; // 0.1 ms each: up to 20 s
let histogram = new Uint32Array(BUCKETS);
/** One client in this many has its messages' hops timed (messages with a position only: history on). */
const HOP_SAMPLE = 25;
/** Hops of the sampled messages: publisher -> Redis appended it, Redis -> this client (same buckets). */
let hops = { toRedis: new Uint32Array(BUCKETS), fromRedis: new Uint32Array(BUCKETS) };
let hopSamples = 0;
let received = 0;
let lastAt = 0;
let expectation: { first: number; last: number; counts: Uint8Array[] } | undefined;
let lastSeqByClient: number[] = [];
let outOfOrder = 0;
let replayed = 0;
let notRecovered = 0;
const clients: Array<{ close(): void; connected(): boolean }> = [];
/** Per client, for the reconnection storm: when it was first disconnected, back (its `hello`), first receiving. */
const lostAt: number[] = [];
const backAt: number[] = [];
const receivingAt: number[] = [];
/** The send time of that first message: splits back -> receiving into waiting for a send and the path. */
const firstSentAt: number[] = [];
/** The replica each socket.io client last said hello from. */
const replicaOf: string[] = [];
/** This process's own stalls during the storm: a client late because its load process was busy is the
 * benchmark's delay, not the server's. Sampled from the first `storm` question on (not during fan-out). */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let cpuMark = process.cpuUsage();
let eluMark = performance.eventLoopUtilization();

const send = (reply: LoadReply) => process.send?.(reply);

const bucket = (ms: number) => Math.min(BUCKETS - 1, Math.max(0, Math.round(ms * 10)));

function onMessage(index: number, payload: BenchPayload): void {
  const at = now();
  if (backAt[index] !== undefined && receivingAt[index] === undefined) {
    receivingAt[index] = at;
    firstSentAt[index] = payload.t;
  }
  const latency = at - payload.t;
  histogram[bucket(latency)]!++;
  received++;
  lastAt = at;
  if (payload.seq <= (lastSeqByClient[index] ?? -1)) outOfOrder++;
  lastSeqByClient[index] = payload.seq;
  if (expectation && payload.seq >= expectation.first && payload.seq <= expectation.last) {
    const counts = expectation.counts[index]!;
    counts[payload.seq - expectation.first] = Math.min(255, counts[payload.seq - expectation.first]! + 1);
  }
}

const sparse = (counts: Uint32Array) => {
  const out: Array<[number, number]> = [];
  counts.forEach((count, at) => count > 0 && out.push([at, count]));
  return out;
};

/**
 * Times the hops of one raw Socket.IO packet as it arrives (before the client library strips its position):
 * `t` is the publisher's send time, `publishedAt` Redis's clock when it appended the message (whole ms,
 * truncated: the first hop reads up to 1 ms short, the second up to 1 ms long).
 */
function timeHops(raw: unknown): void {
  if (typeof raw !== "string" || !raw.includes('"~pos"')) return;
  const at = now();
  const args = JSON.parse(raw.slice(raw.indexOf("["))) as unknown[];
  const payload = args[1] as Partial<BenchPayload> | undefined;
  const publishedAt = publishedAtOf(args.at(-1));
  if (typeof payload?.t !== "number" || publishedAt === undefined) return;
  hops.toRedis[bucket(publishedAt - payload.t)]!++;
  hops.fromRedis[bucket(at - publishedAt)]!++;
  hopSamples++;
}

function connectOne(command: Extract<LoadCommand, { type: "connect" }>, index: number): Promise<string | undefined> {
  const localAddress = command.localAddresses[index % command.localAddresses.length];
  const url = command.urls[index % command.urls.length]!;
  return new Promise((resolve) => {
    if (command.kind === "ws") {
      const ws = new WebSocket(url, { localAddress, perMessageDeflate: command.perMessageDeflate });
      ws.on("message", (data) => onMessage(index, JSON.parse(String(data)) as BenchPayload));
      ws.once("open", () => resolve(undefined));
      ws.once("error", (err) => resolve(err.message));
      clients[index] = { close: () => ws.close(), connected: () => ws.readyState === WebSocket.OPEN };
      return;
    }
    const options = {
      transports: command.transport === "upgrade" ? ["polling", "websocket"] : [command.transport],
      forceNew: true,
      reconnection: command.reconnect,
      reconnectionDelay: 500,
      reconnectionDelayMax: 2_000,
      timeout: 30_000,
      agent: new Agent({ localAddress } as never) as never,
      ...(command.parser === "msgpack" ? { parser: msgpackParser } : {}),
      // socket.io-client takes the threshold object; the server decides whether it is used.
      ...(command.perMessageDeflate ? { perMessageDeflate: { threshold: 1024 } } : {}),
    };
    let socket: Socket;
    if (command.resume) {
      const resumable = connect(url, options);
      resumable.onRecovery((report) => {
        for (const channel of Object.values(report.channels)) {
          if (channel.recovered) replayed += channel.replayed;
          else notRecovered++;
        }
      });
      socket = resumable as unknown as Socket;
    } else {
      socket = io(url, options);
    }
    socket.on("bench", (payload: BenchPayload) => onMessage(index, payload));
    // The engine of each (re)connection hands over raw packets first ("data"), then the decoder sees them.
    if (index % HOP_SAMPLE === 0) socket.io.on("open", () => socket.io.engine.on("data", timeHops));
    socket.on("hello", (identity: { replica: string }) => {
      replicaOf[index] = identity.replica;
      if (lostAt[index] !== undefined) backAt[index] ??= now();
    });
    socket.on("disconnect", () => (lostAt[index] ??= now()));
    socket.once("hello", () => resolve(undefined));
    socket.once("connect_error", (err) => {
      if (!command.reconnect) resolve(err.message);
    });
    clients[index] = { close: () => socket.disconnect(), connected: () => socket.connected };
  });
}

function stats(): LoadStats {
  let lost = 0;
  let duplicated = 0;
  for (const counts of expectation?.counts ?? []) {
    for (const count of counts) {
      if (count === 0) lost++;
      else if (count > 1) duplicated += count - 1;
    }
  }
  const cpu = process.cpuUsage(cpuMark);
  const elu = performance.eventLoopUtilization(eluMark);
  const replicas: Record<string, number> = {};
  clients.forEach((client, i) => {
    const replica = replicaOf[i];
    if (replica && client.connected()) replicas[replica] = (replicas[replica] ?? 0) + 1;
  });
  const result: LoadStats = {
    replicas,
    clients: clients.length,
    connected: clients.filter((c) => c.connected()).length,
    received,
    lost,
    duplicated,
    outOfOrder,
    histogram: sparse(histogram),
    hops: hopSamples > 0 ? { toRedis: sparse(hops.toRedis), fromRedis: sparse(hops.fromRedis) } : undefined,
    lastAt,
    cpuMicros: cpu.user + cpu.system,
    elu: elu.utilization,
    replayed,
    notRecovered,
  };
  replayed = 0;
  notRecovered = 0;
  histogram = new Uint32Array(BUCKETS);
  if (hopSamples > 0) hops = { toRedis: new Uint32Array(BUCKETS), fromRedis: new Uint32Array(BUCKETS) };
  hopSamples = 0;
  received = 0;
  outOfOrder = 0;
  cpuMark = process.cpuUsage();
  eluMark = performance.eventLoopUtilization();
  return result;
}

process.on("message", async (command: LoadCommand) => {
  switch (command.type) {
    case "connect": {
      // A connect replaces the clients of an earlier one (--warm-clients connects them elsewhere first).
      for (const client of clients) client.close();
      for (const list of [clients, lostAt, backAt, receivingAt, firstSentAt, replicaOf]) list.length = 0;
      const started = Date.now();
      const errors: Record<string, number> = {};
      // In waves, so a few thousand connects do not all hit one accept queue at the same instant.
      const results: Array<string | undefined> = [];
      for (let i = 0; i < command.count; i += 200) {
        const wave = Array.from({ length: Math.min(200, command.count - i) }, (_, j) => connectOne(command, i + j));
        results.push(...(await Promise.all(wave)));
      }
      for (const error of results) if (error) errors[error] = (errors[error] ?? 0) + 1;
      lastSeqByClient = Array(clients.length).fill(-1);
      const failed = results.filter(Boolean).length;
      send({ type: "connected", ok: command.count - failed, failed, errors, ms: Date.now() - started });
      stats();
      break;
    }
    case "expect":
      expectation = {
        first: command.firstSeq,
        last: command.lastSeq,
        counts: clients.map(() => new Uint8Array(command.lastSeq - command.firstSeq + 1)),
      };
      break;
    case "storm": {
      const times: StormTimes[] = [];
      lostAt.forEach(
        (lost, i) =>
          lost !== undefined && times.push([lost, backAt[i] ?? null, receivingAt[i] ?? null, firstSentAt[i] ?? null]),
      );
      send({ type: "storm", times, loopDelayMaxMs: loopDelay.max / 1e6 });
      loopDelay.reset();
      loopDelay.enable(); // false (no-op) from the second question on
      break;
    }
    case "stats":
      send({ type: "stats", stats: stats() });
      break;
    case "close":
      for (const client of clients) client.close();
      setTimeout(() => process.exit(0), 200).unref();
      break;
  }
});
