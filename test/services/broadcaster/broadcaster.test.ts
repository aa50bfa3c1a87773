/**
 * The broadcaster process against a real redis-server, with an in-process Socket.IO server on the Redis
 * adapter and real clients to see what arrives.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Tick } from "../../../services/shared/events.js";
import { closeAll, connectClient, request, type TestSocket } from "../../helpers/clients.js";
import { startRedis, type TestRedis } from "../../helpers/redis.js";
import { startBroadcaster, type TestService } from "../../helpers/services.js";
import { startSocketNode, waitForSubscribers, type SocketNode } from "../../helpers/socket-node.js";
import { freePort } from "../../../scripts/processes.js";
import { METRICS } from "../../../services/shared/metrics.js";
import { scrape, total } from "../../helpers/metrics.js";
import { startRedisRelay } from "../../helpers/redis-relay.js";
import { countdown, waitFor, within } from "../../helpers/wait.js";

const TOKEN = "test-token-0123456789abcdef";

describe("broadcaster", () => {
  let redis: TestRedis;
  let node: SocketNode;
  let broadcaster: TestService;
  let clients: TestSocket[] = [];

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${broadcaster.url}/broadcast`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
      body,
    });

  /** A broadcast every client receives after whatever was published before it: waits for all of them. */
  const barrier = async () => {
    const all = countdown(clients.length, "barrier");
    for (const socket of clients) socket.once("barrier" as never, () => all.add());
    assert.equal((await post(JSON.stringify({ event: "barrier" }))).status, 202);
    await all.done;
  };

  before(async () => {
    redis = await startRedis();
    node = await startSocketNode(redis.url, "server-1");
    await within(waitForSubscribers(redis.url, 1), 10_000, "adapter subscribed");
    broadcaster = await startBroadcaster({ REDIS_URL: redis.url, BROADCASTER_TOKEN: TOKEN, TICK_INTERVAL_MS: "100" });
    clients = (await Promise.all([connectClient(node.url), connectClient(node.url), connectClient(node.url)])).map(
      (c) => c.socket,
    );
  });

  after(async () => {
    closeAll(clients);
    await broadcaster?.stop();
    await node?.close();
    await redis?.stop();
  });

  test("ticks arrive on every client with increasing seq", async () => {
    const seqs = await Promise.all(
      clients.map(async (socket) => {
        const first = await waitFor<Tick>(socket, "tick", { what: "first tick" });
        const second = await waitFor<Tick>(socket, "tick", { what: "second tick" });
        return [first.seq, second.seq];
      }),
    );
    for (const [first, second] of seqs) assert.equal(second, first! + 1);
  });

  test("POST /broadcast: 202 with its position once Redis kept and published it; every client gets it once", async () => {
    const all = countdown(clients.length, "news on every client");
    const got: unknown[] = [];
    for (const socket of clients) {
      socket.on("news" as never, (data: unknown) => {
        got.push(data);
        all.add();
      });
    }
    const res = await post(JSON.stringify({ event: "news", data: { headline: "hi", n: [1, 2] } }));
    assert.equal(res.status, 202);
    const body = (await res.json()) as { ok: boolean; position: { channel: string; epoch: string; offset: number } };
    assert.equal(body.ok, true);
    assert.equal(body.position.channel, "*");
    assert.ok(body.position.offset > 0 && typeof body.position.epoch === "string", JSON.stringify(body));
    await all.done;
    // A second broadcast along the same path, as a barrier for any duplicate of the first.
    const barrier = countdown(clients.length, "barrier");
    for (const socket of clients) socket.on("barrier" as never, () => barrier.add());
    assert.equal((await post(JSON.stringify({ event: "barrier" }))).status, 202);
    await barrier.done;
    assert.deepEqual(got, Array(clients.length).fill({ headline: "hi", n: [1, 2] }));
    for (const socket of clients) socket.off("news" as never).off("barrier" as never);
  });

  test("POST /broadcast with a room reaches its members only", async () => {
    const [member, outsider] = clients;
    assert.ok(member && outsider);
    await request(member, "join", "vip");
    let outsiderGot = false;
    outsider.on("offer" as never, () => {
      outsiderGot = true;
    });
    const delivered = waitFor(member, "offer", { what: "room broadcast" });
    assert.equal((await post(JSON.stringify({ event: "offer", data: 1, room: "vip" }))).status, 202);
    assert.equal(await delivered, 1);
    // Everyone gets the barrier; by then the outsider would have had the offer too.
    const barrier = waitFor(outsider, "barrier", { what: "barrier" });
    await post(JSON.stringify({ event: "barrier" }));
    await barrier;
    assert.equal(outsiderGot, false);
    outsider.off("offer" as never);
  });

  test("refusals: 401, 400, 413, 415, 404, each with a JSON error", async () => {
    const cases: Array<[Promise<Response>, number, RegExp]> = [
      [post("{}", { authorization: "" }), 401, /bearer token/],
      [post("{}", { authorization: `Bearer ${TOKEN}x` }), 401, /bearer token/],
      [post("{}", { authorization: `Basic ${TOKEN}` }), 401, /bearer token/],
      [post('{"event":'), 400, /malformed JSON/],
      [post("[]"), 400, /JSON object/],
      [post('{"event":"disconnect"}'), 400, /reserved/],
      [post('{"event":"ok","room":"no spaces"}'), 400, /1-64 characters/],
      [post('{"event":"ok","extra":1}'), 400, /unknown field/],
      [post(JSON.stringify({ event: "big", data: "x".repeat(70_000) })), 413, /larger than 65536/],
      [post('{"event":"x"}', { "content-type": "text/plain" }), 415, /application\/json/],
      [fetch(`${broadcaster.url}/nope`), 404, /no route/],
    ];
    for (const [pending, status, message] of cases) {
      const res = await pending;
      const body = (await res.json()) as { error: string };
      assert.equal(res.status, status, `${status} expected, got ${res.status}: ${body.error}`);
      assert.match(body.error, message);
    }
  });

  test("Idempotency-Key: a retry publishes nothing and answers the first position; reused for another body 422; malformed 400", async () => {
    const got: unknown[] = [];
    for (const socket of clients) socket.on("once" as never, (data: unknown) => void got.push(data));
    const body = JSON.stringify({ event: "once", data: "hello" });
    const first = await post(body, { "idempotency-key": "order-17" });
    const retry = await post(body, { "idempotency-key": "order-17" });
    assert.equal(first.status, 202);
    assert.equal(retry.status, 202);
    const { position } = (await first.json()) as { position: object };
    assert.deepEqual(await retry.json(), { ok: true, position, replayed: true });

    const reused = await post(JSON.stringify({ event: "once", data: "other" }), { "idempotency-key": "order-17" });
    assert.equal(reused.status, 422);
    assert.match(((await reused.json()) as { error: string }).error, /already used for a different request/);
    for (const key of ["has space", "x".repeat(256), "é"]) {
      const res = await post(body, { "idempotency-key": key });
      assert.equal(res.status, 400, key);
      assert.match(((await res.json()) as { error: string }).error, /Idempotency-Key must be 1-255 visible ASCII/);
    }
    // Another key is another message.
    assert.equal((await post(body, { "idempotency-key": "order-18" })).status, 202);
    await barrier();
    assert.deepEqual(got, Array(clients.length * 2).fill("hello"));
    for (const socket of clients) socket.off("once" as never);
  });

  test("a reply lost after Redis ran the script: 503, and a retry with the same Idempotency-Key publishes nothing new", async () => {
    const cutter = await startRedisRelay(redis.url);
    const own = await startBroadcaster({ REDIS_URL: cutter.url, BROADCASTER_TOKEN: TOKEN, TICK_INTERVAL_MS: "0" });
    const got: unknown[] = [];
    for (const socket of clients) socket.on("lost-reply" as never, (data: unknown) => void got.push(data));
    const send = (data: string, headers: Record<string, string> = {}) =>
      fetch(`${own.url}/broadcast`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ event: "lost-reply", data }),
      });
    /** Publishes `data` while its reply is lost; then retries it once Redis is back. */
    const throughLostReply = async (data: string, headers: Record<string, string> = {}) => {
      const cut = cutter.cutReplyTo(data);
      const res = await send(data, headers);
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { error: string }).error, /did not confirm/);
      await within(cut, 5_000, "the reply to be lost");
      assert.equal(await waitForHealth(own.url, "ready"), true);
      return send(data, headers);
    };
    try {
      assert.equal((await send("warm-up")).status, 202); // the script is cached: the cut hits its run, not NOSCRIPT
      // Without a key the retry is a second message: the fault is real, and this is why the key exists.
      assert.equal((await throughLostReply("no-key")).status, 202);
      const retried = await throughLostReply("with-key", { "idempotency-key": "lost-1" });
      assert.equal(retried.status, 202);
      assert.equal(((await retried.json()) as { replayed?: boolean }).replayed, true);
      await barrier();
      const each = ["warm-up", "no-key", "no-key", "with-key"];
      assert.deepEqual(got.toSorted(), Array(clients.length).fill(each).flat().toSorted());
    } finally {
      for (const socket of clients) socket.off("lost-reply" as never);
      await own.stop();
      await cutter.close();
    }
  });

  test("/metrics on its own port: every declared metric; requests by status, publishes by event, Redis state", async () => {
    const port = await freePort();
    const own = await startBroadcaster({
      REDIS_URL: redis.url,
      BROADCASTER_TOKEN: TOKEN,
      TICK_INTERVAL_MS: "0",
      METRICS_PORT: String(port),
    });
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    try {
      const send = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${own.url}/broadcast`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
          body,
        }).then((res) => res.status);
      assert.equal(await send('{"event":"metered"}'), 202);
      assert.equal(await send('{"event":"metered","data":1}', { "idempotency-key": "m-1" }), 202);
      assert.equal(await send('{"event":"metered","data":1}', { "idempotency-key": "m-1" }), 202); // replayed
      assert.equal(await send('{"event":'), 400);
      assert.equal(await send("{}", { authorization: "Bearer wrong-token-0123456789" }), 401);

      const { types, samples } = await scrape(metricsUrl);
      for (const [name, spec] of Object.entries(METRICS)) {
        if (spec.exporter === "broadcaster") assert.equal(types.get(name), spec.type, name);
      }
      assert.equal(total(samples, "broadcaster_requests_total", { status: "202" }), 3);
      assert.equal(total(samples, "broadcaster_requests_total", { status: "400" }), 1);
      assert.equal(total(samples, "broadcaster_requests_total", { status: "401" }), 1);
      assert.equal(
        total(samples, "broadcaster_published_total", { event: "metered" }),
        2,
        "the replay is not a publish",
      );
      assert.equal(total(samples, "broadcaster_publish_seconds_count"), 3);
      assert.equal(total(samples, "broadcaster_redis_connected"), 1);
      assert.equal((await fetch(`${own.url}/metrics`)).status, 404, "not on the API's port");
    } finally {
      await own.stop();
    }
  });

  test("GET /healthz reports Redis, and the pid that answers", async () => {
    const res = await fetch(`${broadcaster.url}/healthz`);
    assert.deepEqual(await res.json(), { ok: true, redis: "ready", pid: broadcaster.proc.child.pid });
  });

  test("without a token the API stays off, says so, and the process still serves /healthz", async () => {
    const closed = await startBroadcaster({ REDIS_URL: redis.url });
    try {
      const res = await fetch(`${closed.url}/broadcast`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"event":"news"}',
      });
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { error: string }).error, /set BROADCASTER_TOKEN/);
      assert.equal((await fetch(`${closed.url}/healthz`)).status, 200);
    } finally {
      await closed.stop();
    }
    assert.match(readFileSync(closed.proc.logFile, "utf8"), /broadcast API disabled: set BROADCASTER_TOKEN/);
  });

  test("a body that trickles in too slowly is cut with 408 (BROADCAST_REQUEST_TIMEOUT_MS)", async () => {
    const strict = await startBroadcaster({
      REDIS_URL: redis.url,
      BROADCASTER_TOKEN: TOKEN,
      BROADCAST_REQUEST_TIMEOUT_MS: "1000",
    });
    try {
      const { port } = new URL(strict.url);
      const socket = connect(Number(port), "127.0.0.1");
      let answer = "";
      socket.on("data", (chunk) => (answer += String(chunk)));
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.write(
        "POST /broadcast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
          `Authorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{"event":`,
      );
      const started = Date.now();
      await within(closed, 10_000, "the server to give up on the slow body");
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(Date.now() - started < 5_000);
    } finally {
      await strict.stop();
    }
  });

  test("SIGTERM with a request still arriving: cut before SHUTDOWN_TIMEOUT_MS ends, exit 1, never a hang", async () => {
    const slow = await startBroadcaster({
      REDIS_URL: redis.url,
      BROADCASTER_TOKEN: TOKEN,
      BROADCAST_REQUEST_TIMEOUT_MS: "60000",
      SHUTDOWN_TIMEOUT_MS: "2000",
    });
    const { port } = new URL(slow.url);
    const socket = connect(Number(port), "127.0.0.1");
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    // Expect: 100-continue makes Node answer as soon as it has the request's headers: from then on the
    // request is in flight, and the server waits for the rest of its body.
    const inFlight = new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.write(
      "POST /broadcast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n" +
        `Authorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{"event":`,
    );
    await within(inFlight, 5_000, "100 Continue: the request is in");
    // stopProcess() would SIGKILL after 10 s; the grace Compose gives is SHUTDOWN_TIMEOUT_MS (2 s here).
    const code = await within(slow.stop(), 4_000, "the broadcaster to exit within its shutdown budget");
    assert.equal(code, 1);
    await within(closed, 1_000, "the slow request's connection to be closed");
    assert.match(readFileSync(slow.proc.logFile, "utf8"), /requests still open at the end of the shutdown budget/);
  });

  test("refuses to start with a weak token, listing the problem", async () => {
    await assert.rejects(startBroadcaster({ REDIS_URL: redis.url, BROADCASTER_TOKEN: "short" }), /exited \(78\)/);
  });

  test("while Redis is down: 503, never a silent accept; /healthz says unavailable", async () => {
    // A Redis and a broadcaster of its own: stopping the shared ones would fail the tests that run after it.
    const own = await startRedis();
    const alone = await startBroadcaster({ REDIS_URL: own.url, BROADCASTER_TOKEN: TOKEN });
    try {
      await own.stop();
      assert.equal(await waitForHealth(alone.url, "unavailable"), true);
      const res = await fetch(`${alone.url}/broadcast`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ event: "news" }),
      });
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { error: string }).error, /redis/);
    } finally {
      await alone.stop();
      await own.stop();
    }
  });
});

/** Reads /healthz until Redis reaches `state`; the broadcaster notices a dropped connection at once. */
async function waitForHealth(url: string, state: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const body = (await (await fetch(`${url}/healthz`)).json()) as { redis: string };
    if (body.redis === state) return true;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`broadcaster never reported redis ${state}`);
}
