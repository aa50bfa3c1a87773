/**
 * Counting, not sampling: a publisher sends numbered messages through the broadcaster (to everyone and to a
 * room, 50/s each) while clients of the client library record every number they get. `survive()` runs a fault
 * in the middle of that stream and then requires every client to hold every number published meanwhile, of
 * both channels, each once, in order. Used on the local stack (test/e2e/delivery.test.ts) and on the
 * containers (test/compose).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { TestContext } from "node:test";
import { connect, type ConnectOptions, type RecoveryReport, type ResumableSocket } from "../../client/index.js";
import { countdown, within } from "./wait.js";

export const ROOM = "numbers";
const RATE_MS = 20; // 50 messages a second on each channel

export interface Counted {
  socket: ResumableSocket;
  /** For messages: which transport, where. */
  label: string;
  all: number[];
  room: number[];
  reports: RecoveryReport[];
  /** Times the connection was lost or closed (a reconnection follows). */
  disconnects: number;
}

/** A point in the stream: what was published, and how much each client held. */
export interface Mark {
  published: { all: number; room: number };
  clients: Map<Counted, { all: number; room: number; reports: number }>;
}

/**
 * POSTs until the broadcaster takes it (503 while Redis is down): accepted messages are what counts. Every try
 * carries the same Idempotency-Key, `key`: a 503 may mean Redis published it and the reply was lost (Redis
 * stopping), and without the key the retry would be a second copy.
 */
export async function publishUntilTaken(broadcaster: string, token: string, body: object, key: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${broadcaster}/broadcast`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 202) return;
    if (res && res.status !== 503) throw new Error(`broadcast refused with ${res.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // pacing the retries, not synchronisation
  }
}

export class NumberedStream {
  readonly clients: Counted[] = [];
  readonly published = { all: 0, room: 0 };
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();
  /** Keys of one stream never meet another's (the Compose suite runs several streams on one Redis). */
  private readonly run = randomUUID();

  constructor(
    private readonly broadcaster: string,
    private readonly token: string,
  ) {}

  /** Connects a client of the client library, joins the room, and counts what it receives. */
  async addClient(url: string, label: string, options: ConnectOptions = {}): Promise<Counted> {
    const socket = connect(url, { forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500, ...options });
    const client: Counted = { socket, label, all: [], room: [], reports: [], disconnects: 0 };
    socket.on("disconnect", () => client.disconnects++);
    const record = (list: number[]) => (n: number) => {
      list.push(n);
      for (const waiter of this.waiters) waiter();
    };
    socket.on("n" as never, record(client.all));
    socket.on("rn" as never, record(client.room));
    socket.onRecovery((report) => client.reports.push(report));
    await within(
      new Promise((resolve) => socket.once("connect", () => resolve(undefined))),
      10_000,
      `${label} connect`,
    );
    assert.equal((await socket.joinRoom(ROOM)).ok, true);
    this.clients.push(client);
    return client;
  }

  private publish(body: { event: string; data: number; room?: string }): Promise<void> {
    return publishUntilTaken(this.broadcaster, this.token, body, `${this.run}:${body.event}:${body.data}`);
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.publish({ event: "n", data: ++this.published.all });
        await this.publish({ event: "rn", data: ++this.published.room, room: ROOM });
        await new Promise((resolve) => setTimeout(resolve, RATE_MS)); // the publishing rate
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Resolves when `condition()` holds, checked after each message a client receives. */
  until(condition: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves once `count` more messages were published to the room. */
  async published10More(what: string, timeoutMs = 20_000): Promise<void> {
    const mark = this.published.room;
    await within(
      this.until(() => this.published.room >= mark + 10),
      timeoutMs,
      what,
    );
  }

  /** Resolves once every client (or `only`) holds at least what was published now, on both channels. */
  everyoneHasEverything(what: string, only = this.clients): Promise<void> {
    const target = { ...this.published };
    const done = countdown(only.length, what, 30_000);
    const pending = new Set(only);
    const check = () => {
      for (const client of pending) {
        // At least: the publisher may have gone on; assertNoLoss() checks the exact lists once it stopped.
        if ((client.all.at(-1) ?? 0) >= target.all && (client.room.at(-1) ?? 0) >= target.room) {
          pending.delete(client);
          done.add();
        }
      }
      if (pending.size === 0) this.waiters.delete(check);
    };
    this.waiters.add(check);
    check();
    return done.done.catch((err: Error) => {
      const lacking = [...pending].map(
        (c) => `${c.label}: all ${c.all.at(-1)}/${target.all}, room ${c.room.at(-1)}/${target.room}`,
      );
      throw new Error(`${err.message}; ${lacking.join("; ")}`);
    });
  }

  /** Where the stream and each client stand: survive() checks what comes after it. */
  mark(): Mark {
    return {
      published: { ...this.published },
      clients: new Map(
        this.clients.map((c) => [c, { all: c.all.length, room: c.room.length, reports: c.reports.length }]),
      ),
    };
  }

  /**
   * Every client got each number published since `since`, once, in order (the whole stream when omitted), and
   * was never told of a loss meanwhile.
   */
  assertNoLoss(since: Mark = { published: { all: 0, room: 0 }, clients: new Map() }): void {
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i + 1);
    for (const client of this.clients) {
      const at = since.clients.get(client) ?? { all: 0, room: 0, reports: 0 };
      const { all, room } = this.published;
      assert.deepEqual(client.all.slice(at.all), range(since.published.all, all), `${client.label}: broadcasts`);
      assert.deepEqual(client.room.slice(at.room), range(since.published.room, room), `${client.label}: room`);
    }
    const lost = this.clients
      .flatMap((c) => c.reports.slice(since.clients.get(c)?.reports ?? 0))
      .filter((r) => !r.recovered);
    assert.deepEqual(lost, [], "a client was told it could not recover");
  }

  /**
   * Publishes through `fault`, then requires that nothing published meanwhile was lost or repeated; returns the
   * recovery time. Starts from a quiet stream that every client has caught up with, whatever ran before.
   */
  async survive(t: TestContext, what: string, fault: () => Promise<void>): Promise<number> {
    await this.everyoneHasEverything(`caught up before: ${what}`);
    const since = this.mark();
    this.start();
    let recoveredMs: number;
    try {
      // Some traffic before the fault, so that it cuts a stream in progress.
      await this.published10More("the publisher");
      await this.everyoneHasEverything(`traffic before: ${what}`);
      const started = Date.now();
      await fault();
      await this.published10More("the publisher after the fault");
      await this.everyoneHasEverything(`traffic after: ${what}`);
      recoveredMs = Date.now() - started;
    } finally {
      await this.stop();
    }
    await this.everyoneHasEverything(`the last message after: ${what}`);
    this.assertNoLoss(since);
    const { all, room } = this.published;
    t.diagnostic(`${what}: every client complete ${recoveredMs} ms after the fault; lost 0`);
    console.log(
      `[delivery] ${what}: complete ${recoveredMs} ms after the fault, ${all} + ${room} messages so far, lost 0`,
    );
    return recoveredMs;
  }

  closeAll(): void {
    for (const { socket } of this.clients) socket.disconnect();
  }
}
