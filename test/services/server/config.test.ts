import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadBroadcasterConfig } from "../../../services/broadcaster/config.js";
import { ConfigError, redact } from "../../../services/shared/config.js";
import { loadServerConfig } from "../../../services/server/config.js";

describe("server config", () => {
  test("defaults: cluster adapter, round-robin, Socket.IO's own ping settings", () => {
    const config = loadServerConfig({ REPLICA_NAME: "r1" });
    assert.equal(config.port, 3000);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.balancingMethod, "round-robin");
    assert.equal(config.pingIntervalMs, 25_000);
    assert.equal(config.pingTimeoutMs, 20_000);
    assert.equal(config.replicaName, "r1");
    // Browsers may use the page this replica serves itself, and no other origin.
    assert.deepEqual(config.allowedOrigins, ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]);
    assert.ok(config.workers >= 1);
  });

  test("parses every setting", () => {
    const config = loadServerConfig({
      PORT: "8000",
      WORKERS: "3",
      REDIS_URL: "redis://:secret@redis:6379",
      STICKY_METHOD: "least-connection",
      PING_INTERVAL_MS: "10000",
      ALLOWED_ORIGINS: "https://a.example, https://b.example:8443",
      MAX_HTTP_BUFFER_SIZE: "2048",
    });
    assert.equal(config.port, 8000);
    assert.equal(config.workers, 3);
    assert.equal(config.redisUrl, "redis://:secret@redis:6379");
    assert.equal(config.balancingMethod, "least-connection");
    assert.equal(config.pingIntervalMs, 10_000);
    assert.deepEqual(config.allowedOrigins, ["https://a.example", "https://b.example:8443"]);
    assert.equal(config.maxHttpBufferSize, 2048);
  });

  test("blank values count as unset (Compose passes VAR= as an empty string)", () => {
    assert.equal(loadServerConfig({ REDIS_URL: "", PORT: "  " }).port, 3000);
  });

  test("lists every problem at once", () => {
    const error = (() => {
      try {
        loadServerConfig({
          PORT: "http",
          WORKERS: "0",
          REDIS_URL: "http://redis",
          STICKY_METHOD: "fastest",
          PING_TIMEOUT_MS: "1.5",
          ALLOWED_ORIGINS: "*",
          CORS_ORIGINS: "https://old.example",
          LOG_LEVEL: "loud",
        });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError, "expected a ConfigError");
    const text = error.problems.join("\n");
    for (const name of [
      "PORT",
      "WORKERS",
      "REDIS_URL",
      "STICKY_METHOD",
      "PING_TIMEOUT_MS",
      "ALLOWED_ORIGINS",
      "CORS_ORIGINS was replaced",
      "LOG_LEVEL",
    ]) {
      assert.match(text, new RegExp(name), `${name} missing from:\n${text}`);
    }
    assert.equal(error.problems.length, 8);
    assert.match(error.message, /^invalid configuration:\n {2}- [A-Z_]+ /);
  });
});

describe("server config: security and limits", () => {
  test("authentication is off by default and needs a 32+ character secret", () => {
    assert.equal(loadServerConfig({}).auth, undefined);
    assert.deepEqual(loadServerConfig({ AUTH_JWT_SECRET: "s".repeat(32), AUTH_JWT_ISSUER: "me" }).auth, {
      secret: "s".repeat(32),
      issuer: "me",
    });
    assert.throws(() => loadServerConfig({ AUTH_JWT_SECRET: "short" }), /AUTH_JWT_SECRET must be at least 32/);
    assert.throws(() => loadServerConfig({ AUTH_JWT_AUDIENCE: "app" }), /need AUTH_JWT_SECRET/);
  });

  test("the Admin UI is off by default; on needs a bcrypt hash; without authentication only on loopback", () => {
    assert.equal(loadServerConfig({}).adminUi, undefined);
    const hash = "$2a$04$" + "a".repeat(53);
    assert.deepEqual(loadServerConfig({ ADMIN_UI: "on", ADMIN_UI_PASSWORD_HASH: hash }).adminUi, {
      mode: "on",
      detail: "aggregated",
      username: "admin",
      passwordHash: hash,
    });
    assert.throws(() => loadServerConfig({ ADMIN_UI: "on" }), /ADMIN_UI=on needs ADMIN_UI_PASSWORD_HASH/);
    assert.throws(() => loadServerConfig({ ADMIN_UI: "on", ADMIN_UI_PASSWORD_HASH: "plain-password" }), /bcrypt hash/);
    assert.throws(
      () => loadServerConfig({ ADMIN_UI: "on-without-auth" }),
      /needs HOST on loopback \(it is 0\.0\.0\.0\)/,
    );
    assert.equal(loadServerConfig({ ADMIN_UI: "on-without-auth", HOST: "127.0.0.1" }).adminUi?.mode, "on-without-auth");
  });

  test("limits have defaults and bounds", () => {
    const config = loadServerConfig({});
    assert.deepEqual(config.rateLimit, { perSecond: 20, burst: 40 });
    assert.equal(config.maxRoomsPerSocket, 50);
    assert.equal(config.drainDelayMs, 0);
    assert.throws(
      () => loadServerConfig({ EVENT_RATE_LIMIT: "0", MAX_ROOMS_PER_SOCKET: "-1" }),
      (err: unknown) => {
        return err instanceof ConfigError && err.problems.length === 2;
      },
    );
  });

  test("the wire format is default or msgpack; compression is off unless asked for", () => {
    assert.equal(loadServerConfig({}).perMessageDeflate, false);
    assert.equal(loadServerConfig({ PER_MESSAGE_DEFLATE: "true" }).perMessageDeflate, true);
    assert.throws(
      () => loadServerConfig({ PER_MESSAGE_DEFLATE: "yes" }),
      /PER_MESSAGE_DEFLATE must be one of true, false/,
    );
    assert.equal(loadServerConfig({}).parser, "default");
    assert.equal(loadServerConfig({ SOCKET_PARSER: "msgpack" }).parser, "msgpack");
    assert.throws(() => loadServerConfig({ SOCKET_PARSER: "cbor" }), /SOCKET_PARSER must be one of default, msgpack/);
  });

  test("a drain that leaves no time within the shutdown budget to close sockets and exit is refused", () => {
    assert.throws(
      () => loadServerConfig({ DRAIN_DELAY_MS: "10000", SHUTDOWN_TIMEOUT_MS: "5000" }),
      /DRAIN_DELAY_MS must end at least 1000 ms before SHUTDOWN_TIMEOUT_MS/,
    );
    assert.throws(
      () => loadServerConfig({ DRAIN_DELAY_MS: "9000", SHUTDOWN_TIMEOUT_MS: "10000" }),
      /DRAIN_DELAY_MS must end/,
    );
    assert.equal(loadServerConfig({ DRAIN_DELAY_MS: "8999" }).drainDelayMs, 8999);
  });
});

describe("broadcaster config", () => {
  test("requires REDIS_URL and a long enough token, listing both", () => {
    assert.throws(
      () => loadBroadcasterConfig({ BROADCASTER_TOKEN: "short", TICK_INTERVAL_MS: "-1" }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.startsWith("REDIS_URL is required")) &&
        err.problems.some((p) => p.startsWith("BROADCASTER_TOKEN must be at least 16")) &&
        err.problems.some((p) => p.startsWith("TICK_INTERVAL_MS")),
    );
  });

  test("no token means the API stays off, not open", () => {
    const config = loadBroadcasterConfig({ REDIS_URL: "redis://localhost:6379" });
    assert.equal(config.token, undefined);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.tickIntervalMs, 1000);
  });

  test("TICK_INTERVAL_MS=0 turns ticks off", () => {
    assert.equal(loadBroadcasterConfig({ REDIS_URL: "redis://r:6379", TICK_INTERVAL_MS: "0" }).tickIntervalMs, 0);
  });
});

test("redact hides passwords in URLs", () => {
  assert.equal(redact("redis://:s3cret@redis:6379"), "redis://:***@redis:6379");
  assert.equal(redact("redis://user:s3cret@redis:6379/0"), "redis://user:***@redis:6379/0");
  assert.equal(redact("redis://redis:6379"), "redis://redis:6379");
});
