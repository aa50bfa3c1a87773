/**
 * `npm run bench`: fan-out, capacity and reconnection storm of the deployment (local stack: nginx -> R
 * replicas x W workers -> Redis, messages published with the Redis emitter as the broadcaster does),
 * measured in the same run as two baselines on the same machine and clients: a raw `ws` server and a
 * plain Socket.IO server, each in one process. Writes results.json, report.md and plot.svg.
 *
 *   npm run bench                      # about 15 minutes on 2 cores
 *   npm run bench -- --quick           # under a minute
 *   npm run bench -- --clients 5000 --rates 5,10,20 --replicas 3 --workers 2 --duration 5 --repeats 3
 */
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism, cpus, freemem, release, totalmem } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { DEFAULT_HISTORY, History } from "../../services/shared/history.js";
import type { RedisClient } from "../../services/shared/redis.js";
import { ResumablePublisher } from "../../services/shared/resumable-publisher.js";
import { startStack, type Stack } from "../stack.js";
import { startNginxInFront } from "./nginx-in-front.js";
import { pace } from "./pace.js";
import { isSaturated, rampGoesOn } from "./ramp.js";
import { machineBusy, machineCpuMicros, total, tree } from "./procstat.js";
import {
  now,
  type ClientKind,
  type LoadCommand,
  type LoadReply,
  type BenchPayload,
  type LoadStats,
  type SourceReply,
  type StormTimes,
} from "./protocol.js";
import {
  writeReport,
  type BenchResults,
  type ColdWindow,
  type ConfigResult,
  type Spread,
  type StepResult,
} from "./report.js";

const LOAD_CLIENT = fileURLToPath(new URL("./load-client.js", import.meta.url));
const BASELINE = fileURLToPath(new URL("./baseline-server.js", import.meta.url));
/** How often the benchmark scrapes each replica's /metrics while measuring (Prometheus's interval in Compose). */
const SCRAPE_INTERVAL_MS = 5_000;
/** The cold window: messages published right after the clients connected, measured apart from the steps. */
const COLD_WINDOW_MS = 2_000;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    clients: { type: "string" },
    rates: { type: "string" },
    duration: { type: "string" },
    repeats: { type: "string" },
    replicas: { type: "string" },
    workers: { type: "string" },
    "load-processes": { type: "string" },
    capacity: { type: "string" },
    storm: { type: "string" },
    "recovery-storm": { type: "string" },
    configs: { type: "string" },
    transport: { type: "string" },
    parser: { type: "string" },
    deflate: { type: "boolean", default: false },
    "nginx-workers": { type: "string" },
    "warm-up": { type: "string" },
    "warm-clients": { type: "boolean", default: false },
    "cold-clients": { type: "boolean", default: false },
    out: { type: "string" },
  },
});
/** What can be measured, in the order a full run measures them. `socket.io+nginx`: one Socket.IO process
 * behind the deployment's nginx, the proxy hop's floor; `topology-no-nginx`: the topology with its clients
 * straight on the replicas' ports; between them, the proxy hop's share shows (docs/benchmark.md). */
const CONFIGS = [
  "raw-ws",
  "socket.io",
  "socket.io+nginx",
  "topology-no-nginx",
  "topology",
  "topology+history",
  "topology+history-no-metrics",
] as const;
const quick = values.quick === true;
const replicas = Number(values.replicas ?? 2);
const opts = {
  clients: Number(values.clients ?? (quick ? 200 : 1000)),
  rates: (values.rates ?? (quick ? "10,50" : "5,10,25,50,100,200")).split(",").map(Number),
  durationMs: Number(values.duration ?? (quick ? 2 : 4)) * 1000,
  repeats: Number(values.repeats ?? (quick ? 1 : 3)),
  replicas,
  /** Workers per replica. @default cores ÷ replicas, at least 1: the project's rule of a worker per core, for
   * replicas that share a host as they do here. Why: 2 × 2 on this machine's 2 cores kept every core busy with
   * a queue waiting in the first broadcasts after a connection burst (tuning.md, seventh session). */
  workers: Number(values.workers ?? Math.max(1, Math.floor(availableParallelism() / replicas))),
  loadProcesses: Number(values["load-processes"] ?? (quick ? 2 : 4)),
  capacity: Number(values.capacity ?? (quick ? 2000 : 10000)),
  storm: Number(values.storm ?? (quick ? 1000 : 5000)),
  /** Clients that resume through a replica kill while messages keep coming (history on). */
  recoveryStorm: Number(values["recovery-storm"] ?? (quick ? 1000 : 5000)),
  configs: (values.configs ?? CONFIGS.join(",")).split(",").filter(Boolean),
  /** Socket.IO clients' only transport (the raw ws baseline is always WebSocket). */
  transport: (values.transport ?? "websocket") as "websocket" | "polling" | "upgrade",
  /** Socket.IO wire format for servers and clients alike. */
  parser: (values.parser ?? "default") as "default" | "msgpack",
  /** WebSocket permessage-deflate on the servers (raw ws baseline included) and clients. */
  perMessageDeflate: values.deflate === true,
  /** nginx worker_processes for the fan-out and storm runs: 1 measured best on this 2-core machine, where
   * nginx shares the cores with every other process (tuning.md); capacity runs use at least 2, since one
   * worker's file descriptors would run out first. */
  nginxWorkers: Number(values["nginx-workers"] ?? 1),
  /** Broadcasts to everyone (at the first rate, then a 1 s pause) between the connection burst and the cold
   * window: how many it takes to warm the path (tuning.md). 0: the cold window is the first messages. */
  warmUp: Number(values["warm-up"] ?? 0),
  /** The load processes first receive WARM_CLIENT_BROADCASTS from a one-process server of their kind, then
   * connect afresh to the configuration measured: its cold window is then the servers' (fresh connections,
   * fresh workers), not the load generator's own first seconds, which were 60-80% of it (tuning.md). On
   * unless --cold-clients (how runs before 2026-11-27 measured); --warm-clients is the default said aloud.
   * @default true */
  warmClients: values["cold-clients"] !== true,
  out: values.out ?? join(process.cwd(), "scripts/bench/results", new Date().toISOString().replace(/[:.]/g, "-")),
};
if (values["warm-clients"] && values["cold-clients"]) {
  console.error("--warm-clients and --cold-clients: one or the other");
  process.exit(2);
}
const unknownConfigs = opts.configs.filter((name) => !(CONFIGS as readonly string[]).includes(name));
if (unknownConfigs.length > 0) {
  console.error(`unknown --configs: ${unknownConfigs.join(", ")} (known: ${CONFIGS.join(", ")})`);
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
/** Source addresses each load process spreads its clients over. */
const ADDRESSES_PER_PROCESS = 16;
/** 127.N.0.1 source addresses: ip_hash hashes the first three octets, so each N is a distinct client. */
const sourceAddresses = (count: number) =>
  Array.from({ length: count }, (_, i) => `127.${(i % 250) + 1}.${Math.floor(i / 250)}.1`);

/** A pool of load-generating processes sharing the clients. */
class LoadPool {
  readonly children: ChildProcess[] = [];
  constructor(size: number) {
    for (let i = 0; i < size; i++)
      this.children.push(fork(LOAD_CLIENT, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  }
  private ask<T extends LoadReply["type"]>(child: ChildProcess, command: LoadCommand, reply: T) {
    return new Promise<Extract<LoadReply, { type: T }>>((resolve) => {
      const listener = (message: LoadReply) => {
        if (message.type !== reply) return;
        child.off("message", listener);
        resolve(message as Extract<LoadReply, { type: T }>);
      };
      child.on("message", listener);
      child.send(command);
    });
  }
  async connect(urls: string[], kind: ClientKind, count: number, reconnect = false, resume = false) {
    const per = Math.ceil(count / this.children.length);
    // 16 source addresses per process, whatever --load-processes says (a fixed 64 left a fifth process and
    // beyond on 127.0.0.1: one ip_hash bucket, and nginx's per-address handshake limit).
    const addresses = sourceAddresses(ADDRESSES_PER_PROCESS * this.children.length);
    const replies = await Promise.all(
      this.children.map((child, i) =>
        this.ask(
          child,
          {
            type: "connect",
            urls,
            kind,
            count: Math.min(per, count - i * per),
            transport: opts.transport,
            localAddresses: addresses.slice(i * ADDRESSES_PER_PROCESS, (i + 1) * ADDRESSES_PER_PROCESS),
            reconnect,
            parser: opts.parser,
            perMessageDeflate: opts.perMessageDeflate,
            resume,
          },
          "connected",
        ),
      ),
    );
    return {
      ok: replies.reduce((a, r) => a + r.ok, 0),
      failed: replies.reduce((a, r) => a + r.failed, 0),
      errors: Object.assign({}, ...replies.map((r) => r.errors)) as Record<string, number>,
      ms: Math.max(...replies.map((r) => r.ms)),
    };
  }
  expect(firstSeq: number, lastSeq: number) {
    for (const child of this.children) child.send({ type: "expect", firstSeq, lastSeq } satisfies LoadCommand);
  }
  async stats(): Promise<LoadStats> {
    const all = await Promise.all(this.children.map((child) => this.ask(child, { type: "stats" }, "stats")));
    return mergeStats(all.map((r) => r.stats));
  }
  /** Every disconnected client's storm timestamps, from all processes, and their longest event-loop stall
   * since the previous call. */
  async stormTimes(): Promise<{ times: StormTimes[]; loopDelayMaxMs: number }> {
    const all = await Promise.all(this.children.map((child) => this.ask(child, { type: "storm" }, "storm")));
    return { times: all.flatMap((r) => r.times), loopDelayMaxMs: Math.max(...all.map((r) => r.loopDelayMaxMs)) };
  }
  pids = () => this.children.map((c) => c.pid!);
  close() {
    for (const child of this.children) child.send({ type: "close" } satisfies LoadCommand);
  }
}

function mergeStats(list: LoadStats[]): LoadStats {
  const replicas: Record<string, number> = {};
  for (const s of list) {
    for (const [name, count] of Object.entries(s.replicas)) replicas[name] = (replicas[name] ?? 0) + count;
  }
  const sum = (key: keyof LoadStats) => list.reduce((a, s) => a + (s[key] as number), 0);
  const sampled = list.filter((s) => s.hops);
  const hops =
    sampled.length > 0
      ? {
          toRedis: mergeHistograms(sampled.map((s) => s.hops!.toRedis)),
          fromRedis: mergeHistograms(sampled.map((s) => s.hops!.fromRedis)),
        }
      : undefined;
  return {
    replicas,
    clients: sum("clients"),
    connected: sum("connected"),
    received: sum("received"),
    lost: sum("lost"),
    duplicated: sum("duplicated"),
    outOfOrder: sum("outOfOrder"),
    histogram: mergeHistograms(list.map((s) => s.histogram)),
    hops,
    lastAt: Math.max(...list.map((s) => s.lastAt)),
    cpuMicros: sum("cpuMicros"),
    elu: Math.max(...list.map((s) => s.elu)),
    replayed: sum("replayed"),
    notRecovered: sum("notRecovered"),
  };
}

function mergeHistograms(list: Array<Array<[number, number]>>): Array<[number, number]> {
  const merged = new Map<number, number>();
  for (const histogram of list)
    for (const [bucket, count] of histogram) merged.set(bucket, (merged.get(bucket) ?? 0) + count);
  return [...merged].sort((a, b) => a[0] - b[0]);
}

/**
 * The workers' `socketio_broadcast_delivery_seconds` (from Redis appending a message to a worker writing it to
 * its sockets), summed over every replica's /metrics: cumulative count per bucket bound (seconds).
 */
async function workerDeliveryBuckets(urls: string[]): Promise<Map<number, number>> {
  const buckets = new Map<number, number>();
  const pattern = /^socketio_broadcast_delivery_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+(?:\.\d+)?)/;
  for (const url of urls) {
    const text = await fetch(url).then(
      (res) => res.text(),
      () => "",
    );
    for (const line of text.split("\n")) {
      const match = pattern.exec(line);
      if (!match) continue;
      const le = match[1] === "+Inf" ? Infinity : Number(match[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(match[2]));
    }
  }
  return buckets;
}

/** A quantile (ms) of the messages counted between two scrapes, interpolated linearly within its bucket. */
function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    const below = i === 0 ? 0 : counts[i - 1]!;
    if (!Number.isFinite(bounds[i]!)) return lower * 1000; // past the last bound: say the last bound
    return (lower + ((bounds[i]! - lower) * (rank - below)) / Math.max(1, counts[i]! - below)) * 1000;
  }
  return NaN;
}

function percentile(histogram: Array<[number, number]>, p: number): number {
  const count = histogram.reduce((a, [, c]) => a + c, 0);
  let seen = 0;
  for (const [bucket, c] of histogram) {
    seen += c;
    if (seen >= count * p) return bucket / 10;
  }
  return histogram.length > 0 ? histogram[histogram.length - 1]![0] / 10 : 0;
}

/** What a configuration needs: where clients connect, how to publish, which pids are "the server". */
interface Target {
  /** Where clients connect (spread over the list). */
  urls: string[];
  kind: ClientKind;
  /** Clients use the client library and resume (the servers keep a history). */
  resume?: boolean;
  serverPids(): number[];
  /** The server side by process group (nginx, redis, replica-1 with its workers, ...). */
  serverGroups(): Record<string, number[]>;
  publish(rate: number, durationMs: number, firstSeq: number): Promise<number>;
  stop(): Promise<void>;
  /** The workers' delivery histogram (history and metrics on), for the per-hop breakdown. */
  workerBuckets?(): Promise<Map<number, number>>;
}

async function baselineTarget(mode: "ws" | "socket.io"): Promise<Target> {
  const child = fork(BASELINE, [mode, opts.parser, String(opts.perMessageDeflate)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve) =>
    child.once("message", (m: SourceReply) => m.type === "listening" && resolve(m.port)),
  );
  return {
    urls: [mode === "ws" ? `ws://127.0.0.1:${port}` : `http://127.0.0.1:${port}`],
    kind: mode === "ws" ? "ws" : "socket.io",
    serverPids: () => [child.pid!],
    serverGroups: () => ({ [mode]: [child.pid!] }),
    publish: (rate, durationMs, firstSeq) =>
      new Promise((resolve) => {
        child.once("message", (m: SourceReply) => m.type === "done" && resolve(m.sent));
        child.send({ type: "run", rate, durationMs, firstSeq });
      }),
    stop: async () => {
      child.kill("SIGTERM");
    },
  };
}

/** `target` behind the deployment's nginx (its configuration, `--nginx-workers` workers): clients connect to
 * nginx, and nginx's processes count as the server's. */
async function behindNginx(target: Target): Promise<Target> {
  const upstreams = target.urls.map((url) => new URL(url).host);
  const nginx = await startNginxInFront(upstreams, opts.nginxWorkers).catch(async (err: unknown) => {
    await target.stop();
    throw err;
  });
  return {
    ...target,
    urls: [nginx.url],
    serverPids: () => [...target.serverPids(), ...tree([nginx.pid])],
    serverGroups: () => ({ ...target.serverGroups(), nginx: tree([nginx.pid]) }),
    stop: async () => {
      await nginx.stop();
      await target.stop();
    },
  };
}

/**
 * The deployment on the local stack. `history`: published as the broadcaster does now, through the history
 * (one script per message: kept and published), and the clients resume; without it, a plain emitter PUBLISH,
 * as before the history existed, for the side-by-side cost. `viaNginx` false: clients connect straight to the
 * replicas' own ports, spread evenly (`topology-no-nginx`), to show what the proxy hop costs.
 */
async function topologyTarget(
  nginxWorkers = opts.nginxWorkers,
  history = false,
  metrics = true,
  viaNginx = true,
): Promise<Target & { stack: Stack; resume: boolean }> {
  const stack = await startStack({
    replicas: opts.replicas,
    workers: opts.workers,
    nginxWorkers,
    tickIntervalMs: 0,
    logLevel: "warn",
    serverEnv: {
      EVENT_RATE_LIMIT: "100000",
      EVENT_BURST: "100000",
      SOCKET_PARSER: opts.parser,
      PER_MESSAGE_DEFLATE: String(opts.perMessageDeflate),
      METRICS: metrics ? "on" : "off",
    },
    broadcasterEnv: { METRICS: metrics ? "on" : "off" },
  });
  // With metrics, scraped as Prometheus would (docs/metrics.md: every 5 s), so that their cost includes it.
  const scrapes = metrics
    ? setInterval(() => {
        for (const { metrics: url } of stack.replicas)
          void fetch(url).then(
            (res) => res.arrayBuffer(),
            () => undefined,
          );
      }, SCRAPE_INTERVAL_MS)
    : undefined;
  const redis = createClient({ url: stack.redis });
  redis.on("error", () => undefined);
  await redis.connect();
  const emitter = new Emitter(redis);
  const publisher = new ResumablePublisher(
    new History(redis as RedisClient, { key: "socket.io", ...DEFAULT_HISTORY }),
    "socket.io",
  );
  const emit = history
    ? (payload: BenchPayload) => void publisher.emit(undefined, "bench", payload).catch(() => undefined)
    : (payload: BenchPayload) => void emitter.emit("bench", payload);
  return {
    stack,
    resume: history,
    urls: viaNginx ? [stack.url] : stack.replicas.map((replica) => replica.url),
    kind: "socket.io",
    serverPids: () => tree(stack.services.map((name) => stack.process(name).child.pid!)),
    serverGroups: () =>
      Object.fromEntries(stack.services.map((name) => [name, tree([stack.process(name).child.pid!])])),
    publish: (rate, durationMs, firstSeq) => pace(rate, durationMs, (i) => emit({ seq: firstSeq + i, t: now() })),
    workerBuckets: history && metrics ? () => workerDeliveryBuckets(stack.replicas.map((r) => r.metrics)) : undefined,
    stop: async () => {
      clearInterval(scrapes);
      await redis.quit().catch(() => undefined);
      await stack.stop();
    },
  };
}

/**
 * The clients' figures once `expected` messages arrived, or 3 s after the last send (the tail): received and
 * latencies add up over the polls; lost and duplicated are as of the last one.
 */
async function collect(pool: LoadPool, expected: number): Promise<LoadStats> {
  const acc = [await pool.stats()];
  for (let waited = 0; waited < 3_000 && acc.reduce((a, s) => a + s.received, 0) < expected; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    acc.push(await pool.stats());
  }
  return { ...mergeStats(acc), lost: acc.at(-1)!.lost, duplicated: acc.at(-1)!.duplicated };
}

async function waitQuiet(): Promise<number> {
  const deadline = Date.now() + 10_000;
  let busy = await machineBusy(300);
  while (busy > 0.15 && Date.now() < deadline) busy = await machineBusy(300);
  return busy;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** How many broadcasts warm the load processes with --warm-clients (2 s at 25/s). */
const WARM_CLIENT_BROADCASTS = 50;

/** --warm-clients: the pool's processes receive broadcasts from a one-process server of their client kind,
 * which then stops; the next `connect` replaces those clients. */
async function warmClients(pool: LoadPool, kind: ClientKind): Promise<void> {
  const server = await baselineTarget(kind === "ws" ? "ws" : "socket.io");
  try {
    const connected = await pool.connect(server.urls, kind, opts.clients);
    pool.expect(0, WARM_CLIENT_BROADCASTS - 1);
    await pool.stats(); // reset counters
    const sent = await server.publish(25, (WARM_CLIENT_BROADCASTS / 25) * 1000, 0);
    const stats = await collect(pool, sent * connected.ok);
    log(`clients warmed on a one-process server: ${stats.received} of ${sent * connected.ok} received`);
  } finally {
    await server.stop();
  }
}

async function fanOut(name: string, target: Target): Promise<ConfigResult> {
  const pool = new LoadPool(opts.loadProcesses);
  if (opts.warmClients) await warmClients(pool, target.kind);
  const connected = await pool.connect(target.urls, target.kind, opts.clients, false, target.resume ?? false);
  log(
    `${name}: ${connected.ok}/${opts.clients} clients connected in ${connected.ms} ms${connected.failed ? `, errors ${JSON.stringify(connected.errors)}` : ""}`,
  );
  const steps: StepResult[] = [];
  let seq = 0;
  // The cold window: the first messages after thousands of connects meet cold JIT code and the garbage of the
  // connection setup. Measured on its own (users wait then too), and kept out of the steps, which measure a
  // warm system.
  const coldRate = opts.rates[0]!;
  if (opts.warmUp > 0) {
    seq += await target.publish(coldRate, (opts.warmUp / coldRate) * 1000, seq);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a pause before the window, not a wait for an event
  }
  pool.expect(seq, seq + Math.round((coldRate * COLD_WINDOW_MS) / 1000) - 1);
  await pool.stats(); // reset counters
  const coldSent = await target.publish(coldRate, COLD_WINDOW_MS, seq);
  const coldStats = await collect(pool, coldSent * connected.ok);
  seq += coldSent;
  const cold: ColdWindow = {
    windowMs: COLD_WINDOW_MS,
    warmUp: opts.warmUp,
    warmClients: opts.warmClients,
    rate: coldRate,
    p50: percentile(coldStats.histogram, 0.5),
    p99: percentile(coldStats.histogram, 0.99),
    max: percentile(coldStats.histogram, 1),
    deliveryRatio: coldStats.received / Math.max(1, coldSent * connected.ok),
    lost: coldStats.lost,
  };
  log(
    `${name} cold (first ${COLD_WINDOW_MS / 1000} s at ${coldRate}/s${opts.warmUp ? `, after ${opts.warmUp} warm-up broadcasts` : ""}${opts.warmClients ? ", clients warmed first" : ""}): p50 ${cold.p50} p99 ${cold.p99} max ${cold.max} ms, delivered ${(cold.deliveryRatio * 100).toFixed(1)}%, lost ${cold.lost}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const rate of opts.rates) {
    const runs: StepResult[] = [];
    for (let r = 0, retries = 0; r < opts.repeats; r++) {
      const busyBefore = await waitQuiet();
      const machineBefore = machineCpuMicros();
      const expected = Math.round((rate * opts.durationMs) / 1000);
      pool.expect(seq, seq + expected - 1);
      await pool.stats(); // reset counters
      const serverBefore = total(target.serverPids());
      const groups = target.serverGroups();
      const groupsBefore = Object.fromEntries(
        Object.entries(groups).map(([name, pids]) => [name, total(pids).cpuMicros]),
      );
      const clientBefore = total(pool.pids());
      const bucketsBefore = await target.workerBuckets?.();
      const ownBefore = process.cpuUsage().user + process.cpuUsage().system;
      const started = now();
      const sent = await target.publish(rate, opts.durationMs, seq);
      const stats = await collect(pool, sent * connected.ok);
      const bucketsAfter = bucketsBefore && (await target.workerBuckets?.());
      const elapsedS = (now() - started) / 1000;
      // Delivery time: from the first send to the last message received, not to the end of the polling.
      const deliveryS = Math.max(opts.durationMs / 1000, (stats.lastAt - started) / 1000);
      const serverCpu = total(target.serverPids()).cpuMicros - serverBefore.cpuMicros;
      const clientCpu = total(pool.pids()).cpuMicros - clientBefore.cpuMicros;
      seq += sent;
      // Disturbed: something other than the servers, the clients and this process used more than 15% of a
      // core during the window. Measure it again (twice at most), and say so.
      const ownCpu = serverCpu + clientCpu + (process.cpuUsage().user + process.cpuUsage().system - ownBefore);
      const otherShare = (machineCpuMicros() - machineBefore - ownCpu) / 1e6 / elapsedS;
      if (otherShare > 0.15 && retries < 2) {
        retries++;
        r--;
        log(
          `${name} ${rate}/s: window disturbed (${Math.round(otherShare * 100)}% of a core used by other processes), measuring again`,
        );
        continue;
      }
      const delivered = stats.received;
      runs.push({
        rate,
        offeredPerSecond: (sent * connected.ok) / (opts.durationMs / 1000),
        deliveredPerSecond: delivered / deliveryS,
        deliveryRatio: delivered / Math.max(1, sent * connected.ok),
        p50: percentile(stats.histogram, 0.5),
        p90: percentile(stats.histogram, 0.9),
        p99: percentile(stats.histogram, 0.99),
        max: percentile(stats.histogram, 1),
        lost: stats.lost,
        duplicated: stats.duplicated,
        serverCpuMicrosPerMessage: serverCpu / Math.max(1, delivered),
        clientCpuMicrosPerMessage: clientCpu / Math.max(1, delivered),
        serverCpuShare: serverCpu / 1e6 / elapsedS / cpus().length,
        clientCpuShare: clientCpu / 1e6 / elapsedS / cpus().length,
        clientElu: stats.elu,
        busyBefore,
        serverRssMb: total(target.serverPids()).rssBytes / 2 ** 20,
        hops: stats.hops && {
          toRedis: { p50: percentile(stats.hops.toRedis, 0.5), p99: percentile(stats.hops.toRedis, 0.99) },
          toWorker: bucketsAfter
            ? {
                p50: bucketQuantile(bucketsBefore!, bucketsAfter, 0.5),
                p99: bucketQuantile(bucketsBefore!, bucketsAfter, 0.99),
              }
            : undefined,
          toClient: { p50: percentile(stats.hops.fromRedis, 0.5), p99: percentile(stats.hops.fromRedis, 0.99) },
          samples: stats.hops.fromRedis.reduce((a, [, c]) => a + c, 0),
        },
        processes: Object.fromEntries(
          Object.entries(groups).map(([group, pids]) => {
            const now = total(pids);
            return [
              group,
              { cpuShare: (now.cpuMicros - groupsBefore[group]!) / 1e6 / elapsedS, rssMb: now.rssBytes / 2 ** 20 },
            ];
          }),
        ),
      });
    }
    const step = medianStep(runs);
    steps.push(step);
    log(
      `${name} ${rate}/s x ${connected.ok}: delivered ${Math.round(step.deliveredPerSecond)}/s (${(step.deliveryRatio * 100).toFixed(1)}%), p50 ${step.p50} p99 ${step.p99} max ${step.max} ms, lost ${step.lost}, dup ${step.duplicated}, server ${step.serverCpuMicrosPerMessage.toFixed(1)} us/msg, clients ELU ${step.clientElu.toFixed(2)}`,
    );
    if (isSaturated(step)) {
      step.saturated = true;
      log(
        `${name}: saturated at ${rate}/s (delivered ${Math.round(step.deliveredPerSecond)}/s of ${Math.round(step.offeredPerSecond)}/s offered, ${(step.deliveryRatio * 100).toFixed(1)}% eventually, p99 ${step.p99} ms)`,
      );
    }
    if (!rampGoesOn(steps)) break;
  }
  pool.close();
  return { name, clients: connected.ok, connectMs: connected.ms, cold, steps };
}

/** Median of each figure over the repeats, with the spread of p99 and delivered/s kept. */
function medianStep(runs: StepResult[]): StepResult {
  const result = { ...runs[0]! } as StepResult;
  for (const key of Object.keys(result) as Array<keyof StepResult>) {
    if (typeof result[key] === "number")
      (result as unknown as Record<string, number>)[key] = median(runs.map((r) => r[key] as number));
  }
  result.processes = runs[Math.floor(runs.length / 2)]!.processes;
  // The hops of the window whose p99 is the median one (a hop's figures belong together).
  result.hops = [...runs].sort((a, b) => a.p99 - b.p99)[Math.floor(runs.length / 2)]!.hops;
  result.spread = {
    p99: [Math.min(...runs.map((r) => r.p99)), Math.max(...runs.map((r) => r.p99))],
    deliveredPerSecond: [
      Math.min(...runs.map((r) => r.deliveredPerSecond)),
      Math.max(...runs.map((r) => r.deliveredPerSecond)),
    ],
  };
  return result;
}

async function capacity(): Promise<BenchResults["capacity"]> {
  const target = await topologyTarget(Math.max(2, opts.nginxWorkers));
  const pool = new LoadPool(opts.loadProcesses);
  try {
    const before = total(target.serverPids());
    const connected = await pool.connect(target.urls, "socket.io", opts.capacity);
    const after = total(target.serverPids());
    const stats = await pool.stats();
    const result = {
      target: opts.capacity,
      connected: stats.connected,
      failed: connected.failed,
      errors: connected.errors,
      setupPerSecond: Math.round((connected.ok / connected.ms) * 1000),
      serverRssMb: after.rssBytes / 2 ** 20,
      bytesPerConnection: Math.round((after.rssBytes - before.rssBytes) / Math.max(1, connected.ok)),
      perReplica: stats.replicas,
    };
    log(
      `capacity: ${result.connected}/${opts.capacity} held, ${result.setupPerSecond}/s setup, ${result.bytesPerConnection} B/connection server side`,
    );
    return result;
  } finally {
    pool.close();
    await target.stop();
  }
}

/**
 * How often the storm publishes while clients come back: the receiving delay includes up to one interval. Not
 * more: at 10/s to 5000 clients the publishing alone was 50 000 deliveries a second, and slowed the very
 * reconnection it measures (all back after 18 s, against 5 s at 4/s; tuning.md).
 */
const STORM_PUBLISH_RATE = 4;

/**
 * The reconnection storm: N plain Socket.IO clients, replica-1 SIGKILLed, a message to everyone every 250 ms
 * from then on. Per client that was cut: when it was back (its `hello` from the replica that took it), and when
 * it first received a message after that. Done when every client that was cut is back and receiving.
 */
async function storm(): Promise<BenchResults["storm"]> {
  const target = await topologyTarget();
  const pool = new LoadPool(opts.loadProcesses);
  try {
    const connected = await pool.connect(target.urls, "socket.io", opts.storm, true);
    const before = await pool.stats();
    const victim = "replica-1";
    const victims = before.replicas[victim] ?? 0;
    log(`storm: ${connected.ok} clients (${JSON.stringify(before.replicas)}); killing ${victim}`);
    await pool.stormTimes(); // from here on, the load processes' longest stall
    let clientStallMs = 0;
    const killed = now();
    target.stack.signalService(victim, "SIGKILL");
    let publishing = true;
    let seq = 1_000_000;
    const publisher = (async () => {
      while (publishing) seq += await target.publish(STORM_PUBLISH_RATE, 1_000, seq);
    })();
    // Poll the clients (a measurement, not a test): everyone who was cut back and receiving, or a minute.
    let times: StormTimes[] = [];
    const done = () => times.length >= victims && times.every(([, back, receiving]) => back && receiving);
    while (now() - killed < 60_000 && !done()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const polled = await pool.stormTimes();
      times = polled.times;
      clientStallMs = Math.max(clientStallMs, polled.loopDelayMaxMs);
    }
    publishing = false;
    await publisher;
    const back = times.flatMap(([, b]) => (b === null ? [] : [b - killed]));
    const reconnectedMs = allBackAfter(times, killed);
    // Each client back and receiving (a load process records the first message's time and send time together).
    const received = times.flatMap(([, back, at, sent]) =>
      back === null || at === null || sent === null ? [] : [{ back, at, sent }],
    );
    const after = await pool.stats();
    const result = {
      clients: connected.ok,
      cut: times.length,
      victims,
      // -1: not every client that was cut was back (or receiving) within the minute.
      reconnectedMs,
      receivingMs: times.some(([, , r]) => r === null)
        ? -1
        : Math.round(Math.max(0, ...times.map(([, , r]) => r! - killed))),
      backAfter: spread(back),
      receivingAfterBack: spread(received.map(({ back, at }) => at - back)),
      // back -> first message = waiting for a broadcast sent after it was back (0 when one already on its way
      // reached it) + that broadcast's way to it from its send or from back, whichever was later: per client
      // the two add up, and say which one a slow client waited for.
      waitingForSend: spread(received.map(({ back, sent }) => Math.max(0, sent - back))),
      firstLatency: spread(received.map(({ back, at, sent }) => at - Math.max(back, sent))),
      stillMissing: times.filter(([, b, r]) => b === null || r === null).length,
      publishIntervalMs: 1000 / STORM_PUBLISH_RATE,
      clientStallMs: Math.round(clientStallMs),
      before: before.replicas,
      after: after.replicas,
    };
    log(
      `storm: ${result.cut} of ${connected.ok} clients cut (${victims} on ${victim}); all back after ${result.reconnectedMs} ms, all receiving after ${result.receivingMs} ms; from back to receiving p50 ${f0(result.receivingAfterBack.p50)} p99 ${f0(result.receivingAfterBack.p99)} max ${f0(result.receivingAfterBack.max)} ms (waiting for a send: max ${f0(result.waitingForSend.max)} ms; then on its way: p99 ${f0(result.firstLatency.p99)} max ${f0(result.firstLatency.max)} ms; the load processes' longest stall ${result.clientStallMs} ms); ${result.stillMissing} not receiving; now ${JSON.stringify(result.after)}`,
    );
    return result;
  } finally {
    pool.close();
    await target.stop();
  }
}

/**
 * From the kill until the last client that was cut was back (its `hello`), in ms; -1 when one was not (a count
 * of connected sockets would include clients that had not noticed the kill yet).
 */
function allBackAfter(times: StormTimes[], killed: number): number {
  if (times.some(([, back]) => back === null)) return -1;
  return Math.round(Math.max(0, ...times.map(([, back]) => back! - killed)));
}

/** p50, p99 and max of a list of durations (ms). */
function spread(xs: number[]): Spread {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}
const f0 = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : "–");

/**
 * The recovery storm: N clients of the client library (history on), a message every 50 ms to everyone, and
 * replica-1 SIGKILLed in the middle: how long until every client is connected again, and until every one holds
 * every message (the replay included), how much was replayed, and what Redis spent on it.
 */
async function recoveryStorm(): Promise<BenchResults["recoveryStorm"]> {
  const target = await topologyTarget(opts.nginxWorkers, true);
  const pool = new LoadPool(opts.loadProcesses);
  try {
    const connected = await pool.connect(target.urls, "socket.io", opts.recoveryStorm, true, true);
    const before = await pool.stats();
    const firstSeq = 2_000_000;
    const rate = 20;
    const durationMs = 6_000;
    const lastSeq = firstSeq + (rate * durationMs) / 1000 - 1;
    pool.expect(firstSeq, lastSeq);
    const redisPids = () => target.serverGroups()["redis"] ?? [];
    const redisBefore = total(redisPids());
    const publishing = target.publish(rate, durationMs, firstSeq);
    // Kill a third of the way in: messages before, during and after the reconnection.
    await new Promise((resolve) => setTimeout(resolve, durationMs / 3)); // the moment of the fault, not a wait for an event
    const killed = now();
    target.stack.signalService("replica-1", "SIGKILL");
    let stats = await pool.stats();
    let replayed = stats.replayed;
    let notRecovered = stats.notRecovered;
    let caughtUpMs = -1;
    await publishing;
    // Poll the clients (a measurement, not a test): everyone connected, then everyone holding everything.
    while (now() - killed < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stats = await pool.stats();
      replayed += stats.replayed;
      notRecovered += stats.notRecovered;
      if (stats.lost === 0) {
        caughtUpMs = now() - killed;
        break;
      }
    }
    const reconnectedMs = allBackAfter((await pool.stormTimes()).times, killed);
    const redisAfter = total(redisPids());
    const result = {
      clients: connected.ok,
      before: before.replicas,
      messages: lastSeq - firstSeq + 1,
      reconnectedMs,
      caughtUpMs: Math.round(caughtUpMs),
      stillMissing: stats.lost,
      duplicated: stats.duplicated,
      replayed,
      notRecovered,
      redisCpuMs: Math.round((redisAfter.cpuMicros - redisBefore.cpuMicros) / 1000),
      redisRssMb: redisAfter.rssBytes / 2 ** 20,
    };
    log(
      `recovery storm: ${result.clients} clients, reconnected by ${result.reconnectedMs} ms, every message on every client by ${result.caughtUpMs} ms (${result.stillMissing} missing, ${result.duplicated} duplicated), ${result.replayed} replayed, ${result.notRecovered} not recovered, Redis ${result.redisCpuMs} ms CPU`,
    );
    return result;
  } finally {
    pool.close();
    await target.stop();
  }
}

async function main() {
  mkdirSync(opts.out, { recursive: true });
  log(`options ${JSON.stringify(opts)}`);
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "?",
      memoryGb: Math.round(totalmem() / 2 ** 30),
      freeMemoryGb: Math.round(freemem() / 2 ** 30),
      kernel: release(),
      node: process.version,
    },
    options: opts,
    configs: [],
  };
  for (const name of opts.configs) {
    const target =
      name === "topology"
        ? await topologyTarget()
        : name === "topology+history"
          ? await topologyTarget(opts.nginxWorkers, true)
          : name === "topology+history-no-metrics"
            ? await topologyTarget(opts.nginxWorkers, true, false)
            : name === "topology-no-nginx"
              ? await topologyTarget(opts.nginxWorkers, false, true, false)
              : name === "socket.io+nginx"
                ? await behindNginx(await baselineTarget("socket.io"))
                : await baselineTarget(name === "raw-ws" ? "ws" : "socket.io");
    try {
      results.configs.push(await fanOut(name, target));
    } finally {
      await target.stop();
    }
  }
  if (opts.capacity > 0) results.capacity = await capacity();
  if (opts.storm > 0) results.storm = await storm();
  if (opts.recoveryStorm > 0) results.recoveryStorm = await recoveryStorm();
  writeReport(opts.out, results);
  writeFileSync(join(opts.out, "results.json"), JSON.stringify(results, null, 2));
  log(`report: ${join(opts.out, "report.md")}`);
  process.exit(0);
}

await main();
