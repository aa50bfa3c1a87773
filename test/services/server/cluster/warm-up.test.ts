/**
 * The warm-up in a real replica (services/server/delivery/warm-up.ts, called by cluster/worker.ts): each
 * worker of the replica warms up on sockets of its own before it says ready, and a respawned worker does not
 * (cluster/primary.ts). What the warm-up does on one server is tested in test/services/server/delivery/.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { pollUntil } from "../../../../scripts/processes.js";
import { isAlive } from "../../../helpers/procfs.js";
import { closeAll, connectClient, type TestSocket } from "../../../helpers/clients.js";
import { startRedis, type TestRedis } from "../../../helpers/redis.js";
import { launchReplica, startReplica, type TestService } from "../../../helpers/services.js";
import { times, within } from "../../../helpers/wait.js";

interface LogLine {
  msg: string;
  pid: number;
  clientsPid?: number;
  worker?: number;
  workerPid?: number;
  sockets?: number;
  broadcasts?: number;
  path?: string;
  port?: number;
}

function logLines(replica: TestService): LogLine[] {
  return readFileSync(replica.proc.logFile, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

describe("a replica's workers warm up before they take clients (2 workers, Redis)", () => {
  let redis: TestRedis;
  let replica: TestService;
  const lines = () => logLines(replica);
  const readyPids = () => lines().filter((l) => l.msg === "worker ready" && l.workerPid !== undefined);

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });
  // A replica of its own per test: the respawn test kills a worker, and the order is shuffled on Node 24.
  beforeEach(async () => {
    replica = await startReplica({
      WORKERS: "2",
      REDIS_URL: redis.url,
      LOG_LEVEL: "info",
      WARM_UP_SOCKETS: "100",
      WARM_UP_BROADCASTS: "10",
    });
  });
  afterEach(async () => {
    await replica?.stop();
  });

  test("each worker sends every broadcast to all its own sockets, then says ready", async () => {
    // A connection sticky hands a worker that is still warming up is held until it is ready: once clients
    // reached both, both have said ready.
    const clients: TestSocket[] = [];
    try {
      const connected = await within(
        times(8, () => connectClient(replica.url, { transport: "websocket" })),
        20_000,
        "every client's hello",
      );
      clients.push(...connected.map((c) => c.socket));
      const workers = [...new Set(connected.map((c) => c.hello.pid))];
      assert.equal(workers.length, 2, "both workers served clients");
      const log = lines();
      for (const pid of workers) {
        const warmed = log.findIndex((l) => l.pid === pid && l.msg === "warmed up");
        const ready = log.findIndex((l) => l.msg === "worker ready" && l.workerPid === pid);
        assert.deepEqual(
          [log[warmed]?.sockets, log[warmed]?.broadcasts, log[warmed]?.path],
          [100, 10, "redis"],
          `worker ${pid} warmed up in full`,
        );
        assert.ok(warmed < ready, `worker ${pid} warmed up before it said ready`);
      }
      // A listen(0) in a cluster worker gets the port the replica's other workers got, and the primary deals
      // the connections out among them: one worker's warm-up sockets would reach the other's namespace.
      const ports = log.filter((l) => l.msg === "warmed up").map((l) => l.port);
      assert.equal(new Set(ports).size, 2, `each worker warmed up on a port of its own: ${ports.join(", ")}`);
    } finally {
      closeAll(clients);
    }
  });

  test("a respawned worker says ready without warming up", async () => {
    // The replica is ready once one worker is; the other may still be warming up.
    await pollUntil("both workers said ready", async () => readyPids().length === 2, {
      proc: replica.proc,
      timeoutMs: 20_000,
    });
    const original = readyPids().map((l) => l.workerPid!);
    process.kill(original[0]!, "SIGKILL");
    const respawned = () => readyPids().find((l) => !original.includes(l.workerPid!));
    await pollUntil("the respawned worker said ready", async () => respawned() !== undefined, {
      proc: replica.proc,
      timeoutMs: 10_000,
    });
    const respawn = respawned()!.workerPid!;
    assert.deepEqual(
      lines().filter((l) => l.pid === respawn && l.msg === "warmed up"),
      [],
      "the respawn warmed up",
    );
  });
});

describe("a worker killed while it warms up", () => {
  let redis: TestRedis;
  let replica: TestService | undefined;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await replica?.stop();
    await redis?.stop();
  });

  test("leaves no clients process behind", async () => {
    // Its clients run in a child process (delivery/warm-up-clients.ts); a worker that dies without cleaning
    // up (SIGKILL, the OOM killer) must not leave it running. It exits when its channel to the worker closes,
    // and its sockets close with the worker too. A warm-up long enough to be caught in the middle: the
    // replica is not ready until it ends, so it is not waited for.
    replica = await launchReplica({
      WORKERS: "1",
      REDIS_URL: redis.url,
      LOG_LEVEL: "info",
      WARM_UP_SOCKETS: "1000",
      WARM_UP_BROADCASTS: "1000",
    });
    const started = replica;
    let warming: LogLine | undefined;
    await pollUntil(
      "the worker started warming up",
      async () => (warming = logLines(started).find((l) => l.msg === "warming up")) !== undefined,
      { proc: started.proc, timeoutMs: 20_000 },
    );
    const { pid, clientsPid } = warming!;
    assert.ok(clientsPid && isAlive(clientsPid), "its clients process is running");
    assert.ok(
      !logLines(started).some((l) => l.msg === "warmed up"),
      "still warming up when killed (make the warm-up longer)",
    );
    process.kill(pid, "SIGKILL");
    await pollUntil("the clients process to exit", async () => !isAlive(clientsPid), {
      proc: started.proc,
      timeoutMs: 10_000,
    });
  });
});
