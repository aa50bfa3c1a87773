import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, collectDefaultMetrics, Registry } from "prom-client";
import { channels } from "../../shared/instrumentation.js";
import { createMetrics } from "../../shared/metrics.js";
import { isWorkerMessage, type PrimaryMessage } from "../cluster/messages.js";

/** One registry's metrics, as `getMetricsAsJSON()` gives them (and IPC carries them). */
type MetricSet = Array<{ aggregator: string }>;

export interface PrimaryMetricsOptions {
  /** `REPLICA_NAME`, a label of every series. */
  replica: string;
  /** `METRICS_WORKER_TIMEOUT_MS`: how long a scrape waits for each worker. */
  workerTimeoutMs: number;
  /** The workers to ask: those that said ready (a booting one could not answer yet). */
  readyWorkers: () => Worker[];
}

/**
 * The replica's `/metrics`: the primary's own metrics (workers, restarts, hand-offs) and every worker's,
 * collected over IPC at each scrape.
 *
 * A scrape never hangs or fails because of one worker: each gets `workerTimeoutMs` to answer, and one that
 * does not (restarting, stuck) is left out of that scrape and counted in `socketio_metrics_workers_missing`.
 * Every worker's series carry its `worker` label (the cluster's worker id, reused when a worker is respawned),
 * so they are merged, never summed: a respawned worker's counters start again from 0, which Prometheus's
 * `rate()` and `increase()` read as a counter reset, as they would for a restarted process.
 * (prom-client's own `clusterMetrics()` fails the whole scrape when any worker is late, which is why not.)
 * @see https://github.com/siimon/prom-client/blob/v15.1.3/lib/cluster.js
 */
export function primaryMetrics({ replica, workerTimeoutMs, readyWorkers }: PrimaryMetricsOptions) {
  const registry = new Registry();
  registry.setDefaultLabels({ replica, worker: "primary" });
  collectDefaultMetrics({ register: registry });
  const m = createMetrics(registry, "primary", {
    socketio_workers() {
      this.set(Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead()).length);
    },
  });
  channels.handoff.subscribe(({ outcome }) => m.socketio_handoffs_total.inc({ outcome }));
  channels.workerRestart.subscribe(() => m.socketio_worker_restarts_total.inc());

  let nextId = 0;
  const waiting = new Map<string, (metrics: MetricSet) => void>();
  cluster.on("message", (worker, message: unknown) => {
    if (!isWorkerMessage(message) || message.type !== "worker:metrics") return;
    waiting.get(`${message.id}:${worker.id}`)?.(message.metrics as MetricSet);
  });

  const ask = (worker: Worker, id: number) =>
    new Promise<MetricSet | undefined>((resolve) => {
      const key = `${id}:${worker.id}`;
      const done = (metrics: MetricSet | undefined) => {
        clearTimeout(timer);
        waiting.delete(key);
        worker.off("exit", gone);
        resolve(metrics);
      };
      const gone = () => done(undefined);
      const timer = setTimeout(gone, workerTimeoutMs);
      waiting.set(key, done);
      worker.once("exit", gone);
      if (!worker.isConnected()) return gone();
      // With a callback, a failed send (the worker died meanwhile) comes here instead of as an `error` event.
      worker.send({ type: "primary:metrics", id } satisfies PrimaryMessage, (err: Error | null) => err && gone());
    });

  return {
    /** One scrape: this process and every worker that answered in time, in Prometheus's text format. */
    async render(): Promise<{ contentType: string; body: string }> {
      const id = ++nextId;
      const answers = await Promise.all(readyWorkers().map((worker) => ask(worker, id)));
      const workers = answers.filter((a): a is MetricSet => a !== undefined);
      m.socketio_metrics_workers_missing.set(answers.length - workers.length);
      const all: MetricSet[] = [await registry.getMetricsAsJSON(), ...workers];
      // Series differ by their `worker` label: "sum" keeps each as it is (the default metrics would average
      // or omit some, e.g. process_start_time_seconds).
      for (const set of all) for (const one of set) one.aggregator = "sum";
      return { contentType: registry.contentType, body: await AggregatorRegistry.aggregate(all).metrics() };
    },
  };
}
