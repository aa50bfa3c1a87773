/**
 * deploy/swarm/stack.yml against docker-compose.yml and the declarations in services/shared/settings.ts: the
 * same settings reach the same services, secrets stay out of the environment, and the update policies keep
 * the promises docs/swarm.md makes. (npm run test:swarm deploys it for real.)
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT } from "../../../scripts/settings-docs.js";
import { composeFallback, interpolations } from "../../helpers/compose-file.js";
import { allSettings, SETTINGS, type Setting } from "../../../services/shared/settings.js";

interface Service {
  environment?: Record<string, string | null>;
  stop_grace_period?: string;
  stop_signal?: string;
  secrets?: Array<string | { source: string }>;
  ports?: Array<{ mode?: string }>;
  deploy?: {
    mode?: string;
    endpoint_mode?: string;
    update_config?: { parallelism?: number; order?: string };
    placement?: { constraints?: string[] };
    resources?: { limits?: { memory?: string; pids?: number } };
  };
}
type File = { services: Record<string, Service> };

const load = (path: string) => parse(readFileSync(join(REPO_ROOT, path), "utf8"), { merge: true }) as File;
const stack = load("deploy/swarm/stack.yml");
const compose = load("docker-compose.yml");
const stackText = readFileSync(join(REPO_ROOT, "deploy/swarm/stack.yml"), "utf8");
const deployScript = readFileSync(join(REPO_ROOT, "deploy/swarm/deploy.sh"), "utf8");

/** What Swarm does differently, by design: secrets as files instead of values. */
const SWARM_ONLY: Record<string, string[]> = {
  replica: ["REDIS_PASSWORD_FILE"],
  broadcaster: ["REDIS_PASSWORD_FILE", "BROADCASTER_TOKEN_FILE"],
};
const COMPOSE_ONLY: Record<string, string[]> = { replica: [], broadcaster: ["BROADCASTER_TOKEN"] };
/** Variables of the stack itself, set by deploy.sh or by whoever deploys (docs/swarm.md), not app settings. */
const STACK_VARIABLES = ["IMAGE", "REPLICAS", "STACK_NAME", "CONFIG_VERSION", "NGINX_CONFIG_DIR"];

describe("deploy/swarm/stack.yml follows docker-compose.yml and services/shared/settings.ts", () => {
  for (const name of ["replica", "broadcaster"]) {
    test(`${name} gets the settings it gets in Compose, its secrets as files`, () => {
      const inStack = Object.keys(stack.services[name]?.environment ?? {}).sort();
      const inCompose = Object.keys(compose.services[name]?.environment ?? {})
        .filter((key) => !COMPOSE_ONLY[name]!.includes(key))
        .concat(SWARM_ONLY[name]!)
        .sort();
      assert.deepEqual(inStack, inCompose);
    });

    test(`${name}: settings pass through from the shell as in Compose, no default repeated`, () => {
      const ours = stack.services[name]!.environment!;
      for (const [key, value] of Object.entries(compose.services[name]!.environment!)) {
        if (COMPOSE_ONLY[name]!.includes(key)) continue;
        if (value === null) assert.equal(ours[key], null, `${key} must be passed without a value`);
      }
    });
  }

  test("no secret setting is given as a value: Swarm secrets, mounted as files, instead", () => {
    for (const [name, service] of Object.entries(stack.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (key.endsWith("_FILE")) assert.match(value ?? "", /^\/run\/secrets\//, `${name}: ${key}`);
        if (key === "BROADCASTER_TOKEN" || /REDIS_URL/.test(key)) {
          assert.doesNotMatch(value ?? "", /:[^/]*@/, `${name}: a password in ${key}`);
        }
      }
    }
    const names = (service: string) =>
      (stack.services[service]?.secrets ?? []).map((s) => (typeof s === "string" ? s : s.source)).sort();
    assert.deepEqual(names("replica"), ["redis_password"]);
    assert.deepEqual(names("broadcaster"), ["broadcaster_token", "redis_password"]);
    assert.deepEqual(names("redis"), ["redis_password"]);
    assert.equal(stack.services.broadcaster!.environment!.BROADCASTER_TOKEN, undefined);
  });

  test("deploy.sh renders nginx's config from the settings Compose's nginx-config service gets", () => {
    const passed = /for name in ([^;]+); do/
      .exec(deployScript.replace(/\\\n\s*/g, " "))?.[1]
      ?.trim()
      .split(/\s+/);
    assert.ok(passed, "deploy.sh lists the settings it passes to the renderer in one `for name in ...` loop");
    const fromCompose = Object.entries(compose.services["nginx-config"]!.environment!)
      .filter(([, value]) => value === null)
      .map(([key]) => key);
    assert.deepEqual([...passed].sort(), fromCompose.sort());
  });

  test("every ${NAME:-default} in stack.yml is a declared setting with its declared default", () => {
    const declared = new Map<string, Setting>(allSettings());
    for (const { name, fallback } of interpolations(stackText)) {
      if (fallback === undefined || STACK_VARIABLES.includes(name)) continue;
      const setting = declared.get(name);
      assert.ok(setting, `\${${name}} is not declared`);
      assert.equal(fallback, composeFallback(setting), `\${${name}:-${fallback}}`);
    }
  });

  test("stops: the Node services get SHUTDOWN_TIMEOUT_MS, nginx SIGTERM as in Compose", () => {
    const grace = `\${SHUTDOWN_TIMEOUT_MS:-${SETTINGS.SHUTDOWN_TIMEOUT_MS.default}}ms`;
    assert.equal(stack.services.replica!.stop_grace_period, grace);
    assert.equal(stack.services.broadcaster!.stop_grace_period, grace);
    assert.equal(stack.services.nginx!.stop_grace_period, compose.services.nginx!.stop_grace_period);
    assert.equal(stack.services.nginx!.stop_signal, "SIGTERM");
  });

  test("a rolling update of the replicas starts the new task first and replaces one at a time", () => {
    const update = stack.services.replica!.deploy!.update_config!;
    assert.equal(update.order, "start-first");
    assert.equal(update.parallelism, 1);
    // Host-mode ports are held by the running task: those services must stop the old one first.
    for (const name of ["nginx", "broadcaster", "redis"]) {
      assert.equal(stack.services[name]!.deploy!.update_config!.order, "stop-first", name);
    }
  });

  test("every service: DNS round robin (no virtual IP), memory and pids limits; ports published in host mode", () => {
    for (const [name, service] of Object.entries(stack.services)) {
      assert.equal(service.deploy?.endpoint_mode, "dnsrr", name);
      assert.ok(service.deploy?.resources?.limits?.memory, `${name}: no memory limit`);
      assert.ok(service.deploy?.resources?.limits?.pids, `${name}: no pids limit`);
      for (const port of service.ports ?? [])
        assert.equal(port.mode, "host", `${name}: a port through the ingress mesh`);
    }
    assert.deepEqual(stack.services.redis!.deploy!.placement!.constraints, ["node.labels.socketio.redis == true"]);
    assert.equal(stack.services.nginx!.deploy!.mode, "global");
    assert.deepEqual(stack.services.nginx!.deploy!.placement!.constraints, ["node.labels.socketio.edge == true"]);
  });
});
