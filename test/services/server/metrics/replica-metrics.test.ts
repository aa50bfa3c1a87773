/**
 * A replica's `/metrics` (its primary's port, for all its workers), scraped from a real replica of 2 workers on
 * a real redis-server, with real clients: every declared metric is there, the numbers match what the test did,
 * and a stopped or killed worker never makes a scrape hang or fail.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { freePort, pollUntil } from "../../../../scripts/processes.js";
import { History } from "../../../../services/shared/history.js";
import { METRICS } from "../../../../services/shared/metrics.js";
import { createRedisClient, closeRedis } from "../../../../services/shared/redis.js";
import { ResumablePublisher } from "../../../../services/shared/resumable-publisher.js";
import { createLogger } from "../../../../services/shared/logger.js";
import { closeAll, connectClient, createClient, request, type TestSocket } from "../../../helpers/clients.js";
import { scrape, total } from "../../../helpers/metrics.js";
import { tree } from "../../../../scripts/processes.js";
import { startRedis, type TestRedis } from "../../../helpers/redis.js";
import { startReplica, type TestService } from "../../../helpers/services.js";
import { countdown, within } from "../../../helpers/wait.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}.js`, import.meta.url));

describe("a replica's /metrics (2 workers, Redis)", () => {
  let redis: TestRedis;
  let replica: TestService;
  let metricsUrl: string;

  before(async () => {
    redis = await startRedis();
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    // Its second worker starts a second late: /readyz answers once the first is ready, and every test here must
    // wait for what it needs (a shuffled CI run found one that did not).
    replica = await startReplica(
      {
        WORKERS: "2",
        REDIS_URL: redis.url,
        METRICS_PORT: String(port),
        METRICS_WORKER_TIMEOUT_MS: "500",
        LOG_LEVEL: "error",
        FIXTURE_SLOW_WORKERS: "2",
        FIXTURE_BOOT_DELAY_MS: "3000",
      },
      [fixture("slow-worker-start")],
    );
  });
  after(async () => {
    await replica?.stop();
    await redis?.stop();
  });

  /** Both workers ready, answering the scrape, with their Redis connections: the second may still be starting,
   * or respawning after a test that killed it. */
  const bothWorkersAnswering = () =>
    pollUntil(
      "both workers answering the scrape, with their Redis connections",
      async () => {
        const { samples } = await scrape(metricsUrl);
        return (
          total(samples, "socketio_redis_connected") === 4 &&
          total(samples, "socketio_metrics_workers_missing") === 0 &&
          new Set(samples.map((s) => s.labels.worker)).size === 3
        );
      },
      { timeoutMs: 15_000 },
    );

  test("every metric declared for the primary and the workers is exported, once, labelled by replica and worker", async () => {
    await bothWorkersAnswering();
    const { types, samples } = await scrape(metricsUrl);
    for (const [name, spec] of Object.entries(METRICS)) {
      if (spec.exporter === "broadcaster") continue;
      assert.equal(types.get(name), spec.type, `${name}: declared a ${spec.type}, exported as ${types.get(name)}`);
    }
    assert.ok(types.has("nodejs_eventloop_lag_seconds"), "the Node.js defaults are there");
    // Cluster worker ids (a respawned worker gets the next one), and the primary.
    const workers = new Set(samples.map((s) => s.labels.worker));
    assert.equal(workers.size, 3);
    assert.ok(workers.has("primary"));
    assert.ok(samples.every((s) => s.labels.replica === "test-replica"));
  });

  test("connected sockets by transport add up to the clients connected; events, broadcasts and latency counted", async () => {
    await bothWorkersAnswering();
    // Clients of its own (a test before this one may have killed their worker), both transports.
    const clients: TestSocket[] = [];
    for (let i = 0; i < 8; i++) {
      const transport = i % 2 === 0 ? "websocket" : "polling";
      clients.push((await connectClient(replica.url, { transport, localAddress: `127.0.20.${i + 1}` })).socket);
    }
    try {
      await countsWhatClientsDid(clients);
    } finally {
      closeAll(clients);
    }
  });

  /** Events, a broadcast, then the scrape: what `clients` did is counted. */
  const countsWhatClientsDid = async (clients: TestSocket[]) => {
    for (const socket of clients) await request(socket, "whoami");
    // A broadcast through the history, as the broadcaster publishes: delivered once per worker, with its lag.
    const log = createLogger({ service: "test" }, { level: "error" });
    const publisher = createRedisClient(redis.url, log, { name: "test-publisher" });
    await publisher.connect();
    const got = countdown(clients.length, "the broadcast on every client");
    for (const socket of clients) socket.once("news" as never, () => got.add());
    await new ResumablePublisher(
      new History(publisher, { key: "socket.io", size: 100, ttlMs: 60_000 }),
      "socket.io",
    ).emit(undefined, "news", "hi");
    await got.done;
    await closeRedis(publisher);

    const { samples } = await scrape(metricsUrl);
    assert.equal(total(samples, "socketio_connected_sockets", { transport: "websocket" }), 4);
    assert.equal(total(samples, "socketio_connected_sockets", { transport: "polling" }), 4);
    assert.ok(total(samples, "socketio_events_received_total", { event: "whoami" }) >= clients.length);
    assert.ok(total(samples, "socketio_events_sent_total", { event: "hello" }) >= clients.length);
    // Emits to one socket only: the broadcast is counted once per worker just below, not once per socket here.
    assert.equal(total(samples, "socketio_events_sent_total", { event: "news" }), 0);
    assert.equal(total(samples, "socketio_broadcasts_delivered_total", { event: "news", channel: "all" }), 2);
    assert.equal(total(samples, "socketio_broadcast_delivery_seconds_count", { channel: "all" }) >= 2, true);
    assert.equal(total(samples, "socketio_redis_connected"), 4, "pub and sub, on both workers");
    assert.equal(total(samples, "socketio_workers"), 2);
    assert.ok(total(samples, "socketio_handoffs_total", { outcome: "handed" }) >= clients.length);
  };

  test("a worker that does not answer (SIGSTOP) is left out after METRICS_WORKER_TIMEOUT_MS, and counted", async () => {
    await bothWorkersAnswering();
    const primary = replica.proc.child.pid!;
    const [stopped] = tree([primary]).filter((pid) => pid !== primary);
    assert.ok(stopped);
    process.kill(stopped, "SIGSTOP");
    try {
      const started = Date.now();
      const { samples } = await within(scrape(metricsUrl), 5_000, "a scrape with a stopped worker");
      const tookMs = Date.now() - started;
      assert.equal(total(samples, "socketio_metrics_workers_missing"), 1);
      assert.equal(new Set(samples.map((s) => s.labels.worker)).size, 2, "the primary and the worker that answered");
      assert.ok(tookMs < 3_000, `the scrape took ${tookMs} ms`);
    } finally {
      process.kill(stopped, "SIGCONT");
    }
  });

  test("a worker killed: the restart is counted; the scrape answers while it respawns and once it is back", async () => {
    await bothWorkersAnswering();
    const primary = replica.proc.child.pid!;
    const before = total((await scrape(metricsUrl)).samples, "socketio_worker_restarts_total");
    const [victim] = tree([primary]).filter((pid) => pid !== primary);
    process.kill(victim!, "SIGKILL");
    // Right away: the dead worker cannot answer, and the scrape does not wait for it.
    const during = await within(scrape(metricsUrl), 5_000, "a scrape while the worker respawns");
    assert.ok(total(during.samples, "socketio_workers") <= 2);
    await pollUntil(
      "the respawned worker in the scrape, and the restart counted",
      async () => {
        const { samples } = await scrape(metricsUrl);
        return (
          total(samples, "socketio_worker_restarts_total") === before + 1 &&
          total(samples, "socketio_metrics_workers_missing") === 0 &&
          new Set(samples.map((s) => s.labels.worker)).size === 3
        );
      },
      { timeoutMs: 15_000 },
    );
  });

  test("only GET /metrics is served on that port", async () => {
    const res = await fetch(metricsUrl.replace("/metrics", "/readyz"));
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /only GET \/metrics/);
  });
});

describe("a replica's /metrics: refusals before a socket exists", () => {
  test("Engine.IO errors by code, and CONNECTs the auth middleware refused", async () => {
    const port = await freePort();
    const replica = await startReplica({
      WORKERS: "1",
      METRICS_PORT: String(port),
      AUTH_JWT_SECRET: "a-secret-of-at-least-32-characters-long",
      LOG_LEVEL: "error",
    });
    try {
      // A polling request naming a session that does not exist: 400, Engine.IO code 1.
      const res = await fetch(`${replica.url}/socket.io/?EIO=4&transport=polling&sid=no-such-session`);
      assert.equal(res.status, 400);
      await res.arrayBuffer();
      // A client without a token: the auth middleware answers connect_error.
      const socket = createClient(replica.url, { transport: "websocket" });
      const refused = await within(
        new Promise<Error>((resolve) => socket.once("connect_error", resolve)),
        10_000,
        "the connect_error",
      );
      socket.disconnect();
      assert.match(refused.message, /unauthorized/);

      const { samples } = await scrape(`http://127.0.0.1:${port}/metrics`);
      assert.equal(total(samples, "socketio_connection_errors_total", { code: "unknown_sid" }), 1);
      assert.equal(total(samples, "socketio_connect_refused_total", { reason: "unauthorized" }), 1);
      assert.equal(total(samples, "socketio_connections_total"), 0);
    } finally {
      await replica.stop();
    }
  });
});

test("METRICS=off: no /metrics port, and the replica serves as before", async () => {
  const port = await freePort();
  const replica = await startReplica({ WORKERS: "1", METRICS: "off", METRICS_PORT: String(port), LOG_LEVEL: "error" });
  try {
    const { socket, hello } = await connectClient(replica.url, { transport: "websocket" });
    socket.disconnect();
    assert.equal(hello.replica, "test-replica");
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), /fetch failed/);
  } finally {
    await replica.stop();
  }
});
