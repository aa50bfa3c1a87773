import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadBroadcasterConfig } from "../../../services/broadcaster/config.js";
import { ConfigError, EnvReader } from "../../../services/shared/config.js";
import { loadServerConfig } from "../../../services/server/config.js";

describe("secrets from files (NAME_FILE, as Docker and Swarm secrets are mounted)", () => {
  const dir = mkdtempSync(join(tmpdir(), "secrets-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** A secret file as `docker secret create` leaves it: the value and, often, a trailing newline. */
  const secret = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const REDIS = "redis://redis:6379";
  const problems = (fn: () => unknown): readonly string[] => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    assert.fail("no ConfigError");
  };

  test("a secret setting is read from the file NAME_FILE names, trailing newline dropped", () => {
    const path = secret("token", "0123456789abcdef0123\n");
    const config = loadBroadcasterConfig({ REDIS_URL: REDIS, BROADCASTER_TOKEN_FILE: path });
    assert.equal(config.token, "0123456789abcdef0123");
    // Read through the same rules as the variable: a short token from a file is refused too.
    const short = secret("short", "abc\n");
    assert.ok(
      problems(() => loadBroadcasterConfig({ REDIS_URL: REDIS, BROADCASTER_TOKEN_FILE: short })).some((p) =>
        p.startsWith("BROADCASTER_TOKEN must be at least 16"),
      ),
    );
  });

  test("both NAME and NAME_FILE, a missing file, an empty file: each a problem, listed together", () => {
    const path = secret("token2", "0123456789abcdef0123");
    const empty = secret("empty", "\n");
    assert.deepEqual(
      problems(() =>
        loadBroadcasterConfig({ REDIS_URL: REDIS, BROADCASTER_TOKEN: "x".repeat(20), BROADCASTER_TOKEN_FILE: path }),
      ),
      ["BROADCASTER_TOKEN and BROADCASTER_TOKEN_FILE are both set: keep one"],
    );
    const listed = problems(() =>
      loadServerConfig({
        AUTH_JWT_SECRET_FILE: join(dir, "missing"),
        ADMIN_UI: "on",
        ADMIN_UI_PASSWORD_HASH_FILE: empty,
      }),
    );
    assert.ok(listed.includes(`AUTH_JWT_SECRET_FILE: cannot read ${join(dir, "missing")} (ENOENT)`), listed.join("; "));
    assert.ok(listed.includes(`ADMIN_UI_PASSWORD_HASH_FILE: ${empty} is empty`), listed.join("; "));
  });

  test("only secrets have a file form: NAME_FILE of any other setting is ignored", () => {
    const path = secret("port", "4000");
    assert.equal(new EnvReader({ PORT_FILE: path }).integer("PORT"), 3000);
  });

  test("REDIS_PASSWORD_FILE puts the password into REDIS_URL (encoded), for the replicas and the broadcaster", () => {
    const path = secret("redis", "p@ss/word:1\n");
    const expected = "redis://:p%40ss%2Fword%3A1@redis:6379";
    assert.equal(loadServerConfig({ REDIS_URL: REDIS, REDIS_PASSWORD_FILE: path }).redisUrl, expected);
    assert.equal(loadBroadcasterConfig({ REDIS_URL: REDIS, REDIS_PASSWORD_FILE: path }).redisUrl, expected);
    // It wins over a password written in the URL; node-redis decodes it (checked against a real Redis in the Swarm test).
    assert.equal(
      loadServerConfig({ REDIS_URL: "redis://:old@redis:6379", REDIS_PASSWORD_FILE: path }).redisUrl,
      expected,
    );
    assert.deepEqual(
      problems(() => loadServerConfig({ REDIS_URL: REDIS, REDIS_PASSWORD_FILE: join(dir, "nope") })),
      [`REDIS_PASSWORD_FILE: cannot read ${join(dir, "nope")} (ENOENT)`],
    );
  });
});
