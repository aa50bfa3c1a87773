/**
 * docker-compose.yml against the declarations in services/shared/settings.ts: each service is given exactly
 * the settings it reads, without repeating a default, and stops get the grace their timeouts need.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT } from "../../../scripts/settings-docs.js";
import { composeFallback, interpolations } from "../../helpers/compose-file.js";
import { allSettings, SETTINGS, type Reader, type Setting } from "../../../services/shared/settings.js";

interface ComposeService {
  environment?: Record<string, string | null>;
  stop_grace_period?: string;
  stop_signal?: string;
}

const text = readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8");
// merge: the file shares environment blocks with `<<: *anchor`, as Compose does.
const compose = parse(text, { merge: true }) as { services: Record<string, ComposeService> };
const declared = new Map<string, Setting>(allSettings());

describe("docker-compose.yml follows services/shared/settings.ts", () => {
  for (const service of ["replica", "broadcaster", "nginx-config"] as const satisfies Reader[]) {
    test(`${service} gets exactly the settings it reads`, () => {
      const environment = compose.services[service]?.environment ?? {};
      const wanted = allSettings()
        .filter(([, setting]) => setting.readBy.includes(service) && typeof setting.compose !== "object")
        .map(([name]) => name)
        .sort();
      assert.deepEqual(Object.keys(environment).sort(), wanted);
    });

    test(`${service}: what the user sets passes through, with no default repeated`, () => {
      for (const [name, value] of Object.entries(compose.services[service]?.environment ?? {})) {
        const how = declared.get(name)?.compose ?? "pass";
        if (how === "pass") assert.equal(value, null, `${name} must be passed without a value (\`${name}:\`)`);
        if (how === "set") assert.notEqual(value, null, `${name} is set by Compose: give it a value`);
      }
    });
  }

  test("every ${NAME:-default} names a setting Compose reads, with the declared default", () => {
    const seen = new Set<string>();
    for (const { name, fallback } of interpolations(text)) {
      const setting = declared.get(name);
      assert.ok(setting, `\${${name}} is not declared in services/shared/settings.ts`);
      assert.ok(setting.readBy.includes("compose"), `${name} is interpolated by Compose: add "compose" to readBy`);
      seen.add(name);
      if (fallback === undefined) continue;
      assert.equal(
        fallback,
        composeFallback(setting),
        `\${${name}:-…} in docker-compose.yml disagrees with the declaration`,
      );
    }
    for (const [name, setting] of allSettings()) {
      if (setting.readBy.includes("compose")) assert.ok(seen.has(name), `${name} is declared for Compose but unused`);
    }
  });

  test("the Node services' grace period is SHUTDOWN_TIMEOUT_MS, within which they exit by themselves", () => {
    const grace = `\${SHUTDOWN_TIMEOUT_MS:-${SETTINGS.SHUTDOWN_TIMEOUT_MS.default}}ms`;
    for (const service of ["replica", "broadcaster"]) {
      assert.equal(compose.services[service]?.stop_grace_period, grace, service);
    }
  });

  test("the replicas run 2 workers each unless WORKERS is set, whatever the host's CPUs (what test:compose counts)", () => {
    // The service's own default (CPUs available) times three replicas on one host: 24 workers on 8 cores.
    assert.equal(compose.services.replica?.environment?.WORKERS, "${WORKERS:-2}");
  });

  test("nginx is stopped with SIGTERM: it closes every connection at once (SIGQUIT would wait for WebSockets)", () => {
    assert.equal(compose.services.nginx?.stop_signal, "SIGTERM");
    assert.match(compose.services.nginx?.stop_grace_period ?? "", /^\d+s$/, "nginx needs a stop_grace_period");
  });
});
