/**
 * Delivery without loss on the local stack (nginx -> 2 replicas x 2 workers -> Redis with an append-only file):
 * a publisher sends numbered messages at 50/s to everyone and 50/s to a room, through the broadcaster, while
 * clients of the client library (polling and WebSocket, on both replicas and all workers) live through one
 * fault after another. After each, every client must hold every number of both channels exactly once, in order,
 * counted, not sampled. Then the faults that cannot be recovered must end in `recovered: false`, said once.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect, type RecoveryReport } from "../../client/index.js";
import { tree } from "../../scripts/processes.js";
import { startStack, type Stack } from "../../scripts/stack.js";
import { whoami } from "../helpers/clients.js";
import { NumberedStream, publishUntilTaken } from "../helpers/numbered.js";
import { countdown, times, within } from "../helpers/wait.js";

const CLIENTS = 8;

/** Redis stopped, its append-only file deleted, and started again: its data is lost. */
async function restartRedisEmpty(stack: Stack): Promise<void> {
  await stack.stopService("redis");
  for (const file of readdirSync(stack.redisDir)) rmSync(join(stack.redisDir, file), { recursive: true, force: true });
  await stack.startService("redis");
}

describe("delivery without loss across faults", () => {
  let stack: Stack;
  let stream: NumberedStream;

  before(async () => {
    stack = await startStack({
      replicas: 2,
      workers: 2,
      tickIntervalMs: 0,
      logLevel: "warn",
      broadcasterEnv: { BROADCAST_RATE_LIMIT: "10000", BROADCAST_BURST: "10000" },
    });
    stream = new NumberedStream(stack.broadcaster, stack.token);
    await times(CLIENTS, (i) => {
      const transport = i % 2 === 0 ? "websocket" : "polling";
      return stream.addClient(stack.url, `${transport} client ${i}`, {
        transports: [transport],
        // Distinct source addresses, so that ip_hash spreads the clients over both replicas.
        agent: new Agent({ localAddress: `127.${110 + i}.0.1` } as never) as never,
      });
    });
  });

  after(async () => {
    await stream?.stop();
    stream?.closeAll();
    await stack?.stop();
  });

  test("clients are spread over both replicas and both transports", async () => {
    const replicas = await Promise.all(stream.clients.map(async (c) => (await whoami(c.socket)).replica));
    assert.equal(new Set(replicas).size, 2);
  });

  test("a worker SIGKILLed", async (t) => {
    await stream.survive(t, "worker SIGKILL", async () => {
      const primary = stack.process("replica-1").child.pid!;
      const worker = tree([primary]).find((pid) => pid !== primary)!;
      process.kill(worker, "SIGKILL");
    });
  });

  test("a replica SIGKILLed, then started again", async (t) => {
    await stream.survive(t, "replica SIGKILL", async () => {
      stack.signalService("replica-2", "SIGKILL");
      await stack.process("replica-2").exited;
      await stack.startService("replica-2");
    });
  });

  test("a rolling restart: each replica SIGTERMed (drained) and started again", async (t) => {
    await stream.survive(t, "rolling restart", async () => {
      for (const name of ["replica-1", "replica-2"]) {
        assert.equal(await stack.stopService(name), 0);
        await stack.startService(name);
      }
    });
  });

  test("nginx restarted", async (t) => {
    await stream.survive(t, "nginx restart", async () => {
      await stack.stopService("nginx");
      await stack.startService("nginx");
    });
  });

  test("Redis restarted with its data", async (t) => {
    await stream.survive(t, "Redis restart", async () => {
      await stack.stopService("redis");
      await stack.startService("redis");
    });
  });

  test("a client's own connection cut for 5 s", async (t) => {
    await stream.survive(t, "client cut for 5 s", async () => {
      const cut = stream.clients.slice(0, 2);
      for (const { socket } of cut) socket.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 5_000)); // the length of the cut: the fault itself
      for (const { socket } of cut) socket.connect();
    });
  });

  test("Redis restarted empty: every client is told `recovered: false`, then gets everything published after the loss", async () => {
    const clients = stream.clients;
    // One client is away across the loss; the others stay connected through it.
    clients[0]!.socket.disconnect();
    stream.start();
    await stream.published10More("the publisher");
    await stream.stop();
    const mark = stream.published.room;
    await restartRedisEmpty(stack);
    const lengths = new Map(clients.map((c) => [c, { all: c.all.length, room: c.room.length }]));

    // Numbering goes on after the loss; the clients cannot know what the lost history held.
    const told = countdown(clients.length, "recovered: false on every client", 30_000);
    const untold = new Set(clients.map((c) => c.label));
    for (const client of clients) {
      client.socket.onRecovery((report) => {
        if (report.recovered || !untold.delete(client.label)) return;
        told.add();
      });
    }
    stream.start();
    clients[0]!.socket.connect();
    try {
      await told.done.catch((err: Error) => {
        throw new Error(`${err.message}; not told: ${[...untold].join(", ")}`);
      });
      // Some traffic once everyone was told, so that the last message is not the one that revealed the loss.
      await stream.published10More("the publisher after the loss");
    } finally {
      await stream.stop();
    }
    await stream.everyoneHasEverything("every message published after the loss");
    const published = (n: number) => Array.from({ length: n - mark }, (_, i) => mark + i + 1);
    for (const client of clients) {
      assert.match(JSON.stringify(client.reports.filter((r) => !r.recovered)), /history lost/);
      // Nothing of the old history was replayed to the one who was away, and everything published after the
      // loss reached every client, once each, in order: the new epoch is new to everyone, so none of it is lost.
      for (const key of ["all", "room"] as const) {
        const after = client[key].slice(lengths.get(client)![key]);
        assert.deepEqual(after, published(stream.published[key]), `${client.label}: ${key} after the loss`);
      }
    }
  });
});

describe("a gap longer than the history", () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      replicas: 1,
      workers: 1,
      tickIntervalMs: 0,
      logLevel: "warn",
      serverEnv: { HISTORY_SIZE: "20" },
      broadcasterEnv: { HISTORY_SIZE: "20" },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const publish = async (n: number) => {
    const res = await fetch(`${stack.broadcaster}/broadcast`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json" },
      body: JSON.stringify({ event: "n", data: n }),
    });
    assert.equal(res.status, 202, await res.text());
  };

  test("ends in `recovered: false` with the reason, and no partial replay", async () => {
    const socket = connect(stack.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    const got: number[] = [];
    socket.on("n" as never, (n: number) => void got.push(n));
    const reports: RecoveryReport[] = [];
    socket.onRecovery((report) => reports.push(report));
    try {
      await within(new Promise((resolve) => socket.once("connect", () => resolve(undefined))), 10_000, "connect");
      // Positioned: the first sync answered, and a message arrived live.
      const first = within(new Promise((resolve) => socket.once("n" as never, resolve)), 10_000, "message 1");
      await publish(1);
      await first;
      socket.disconnect();
      for (let n = 2; n <= 30; n++) await publish(n); // 29 missed, 20 kept
      const told = within(new Promise<RecoveryReport>((resolve) => socket.onRecovery(resolve)), 10_000, "the report");
      socket.connect();
      const report = await told;
      assert.equal(report.recovered, false);
      assert.match(JSON.stringify(report.channels["*"]), /gap longer than the history kept/);
      // Live again from here, and nothing of the kept part of the gap was replayed as if it were the whole.
      const next = within(new Promise((resolve) => socket.once("n" as never, resolve)), 10_000, "message 31");
      await publish(31);
      await next;
      assert.deepEqual(got, [1, 31]);
    } finally {
      socket.disconnect();
    }
  });
});

describe("a client that saw nothing of a room yet (its position's epoch is provisional)", () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ replicas: 1, workers: 1, tickIntervalMs: 0, logLevel: "warn" });
  });
  after(async () => {
    await stack?.stop();
  });

  /** To the room, until the broadcaster takes it (503 while Redis restarts), once (an Idempotency-Key). */
  const publish = (room: string, n: number) =>
    publishUntilTaken(stack.broadcaster, stack.token, { event: "n", data: n, room }, `${room}:${n}`);

  /** A client in a fresh room, where nothing was published yet, disconnected: away from the room's start. */
  const awayFromTheStart = async (room: string) => {
    const socket = connect(stack.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    const got: number[] = [];
    let check = () => {};
    socket.on("n" as never, (n: number) => {
      got.push(n);
      check();
    });
    /** Resolves once `count` messages arrived. */
    const holding = (count: number, what: string) =>
      within(
        new Promise<void>((resolve) => {
          check = () => got.length >= count && resolve();
          check();
        }),
        10_000,
        what,
      );
    await within(new Promise((resolve) => socket.once("connect", () => resolve(undefined))), 10_000, "connect");
    const joined = await socket.joinRoom(room);
    assert.equal(joined.ok, true);
    assert.match(String(joined.ok && joined.position?.epoch), /^~/, "a provisional epoch");
    socket.disconnect();
    /** Reconnects; resolves with the first report that speaks of the room. */
    const resumed = () => {
      const about = (r: RecoveryReport) => `room:${room}` in r.channels;
      const told = new Promise<RecoveryReport>((resolve) => socket.onRecovery((r) => about(r) && resolve(r)));
      const report = within(told, 10_000, `a report on room ${room}`);
      socket.connect();
      return report;
    };
    return { socket, got, resumed, holding };
  };

  test("the room's first messages published while it was away are all replayed: recovered", async () => {
    const room = `first-${randomUUID()}`;
    const { socket, got, resumed, holding } = await awayFromTheStart(room);
    try {
      for (let n = 1; n <= 3; n++) await publish(room, n);
      const report = await resumed();
      assert.equal(report.recovered, true, JSON.stringify(report));
      await holding(3, "the replay");
      assert.deepEqual(got, [1, 2, 3]);
    } finally {
      socket.disconnect();
    }
  });

  test("Redis lost the room's first life while it was away: told `recovered: false`, then follows the new one", async () => {
    const room = `lost-${randomUUID()}`;
    const { socket, got, resumed, holding } = await awayFromTheStart(room);
    try {
      for (let n = 1; n <= 3; n++) await publish(room, n);
      await restartRedisEmpty(stack);
      await publish(room, 4); // the new life's first message: after the loss, so not lost
      const report = await resumed();
      assert.equal(report.recovered, false, JSON.stringify(report));
      assert.match(JSON.stringify(report.channels[`room:${room}`] ?? null), /history lost/, JSON.stringify(report));
      await holding(1, "the new life's message");
      assert.deepEqual(got, [4]);
    } finally {
      socket.disconnect();
    }
  });
});
