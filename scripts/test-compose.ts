/**
 * `npm run test:compose`: brings the Compose deployment up (`up -d --build --wait`) under a project name of
 * its own and free host ports, runs the end-to-end suite against the real containers, and always tears it
 * down (`down -v`), printing the services' logs when something failed.
 *
 *   npm run test:compose
 *   npm run test:compose -- --randomize    # in a random order (Node 24): no test leans on the one before
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { SETTINGS_REACHING_CONTAINERS, SUITE_SETTINGS } from "../test/helpers/deployment-env.js";
import { freePort, TEST_TIMEOUT_MS } from "./processes.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TEST_FILE = fileURLToPath(new URL("../test/compose/compose.test.js", import.meta.url));
const REPLICAS = 3;
/** `--randomize`: the tests in a random order (Node 24's `--test-randomize`; the seed is printed). */
const randomize = process.argv.includes("--randomize") ? ["--test-randomize"] : [];

const project = `socketio-test-${process.pid}`;
const httpPort = await freePort();
const broadcasterPort = await freePort();
const prometheusPort = await freePort();
const token = randomBytes(24).toString("hex");
const env = {
  ...process.env,
  HTTP_PORT: String(httpPort),
  BROADCASTER_PORT: String(broadcasterPort),
  // Prometheus and the exporters too (docs/metrics.md); every `docker compose` call of the suite inherits it.
  COMPOSE_PROFILES: "observability",
  PROMETHEUS_PORT: String(prometheusPort),
  BROADCASTER_TOKEN: token,
  ...SUITE_SETTINGS,
  ...SETTINGS_REACHING_CONTAINERS,
};
const files = ["-f", "docker-compose.yml", "-f", "test/compose/docker-compose.test.yml"];

function compose(args: string[], capture = false): { status: number; stdout: string } {
  process.stderr.write(`$ docker compose -p ${project} ${args.join(" ")}\n`);
  const result = spawnSync("docker", ["compose", "-p", project, ...files, ...args], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
  });
  return { status: result.status ?? 1, stdout: result.stdout ?? "" };
}

let failed = true;
try {
  if (compose(["up", "-d", "--build", "--wait", "--wait-timeout", "300"]).status !== 0)
    throw new Error("compose up failed");
  const target = {
    project,
    files,
    url: `http://127.0.0.1:${httpPort}`,
    broadcaster: `http://127.0.0.1:${broadcasterPort}`,
    prometheus: `http://127.0.0.1:${prometheusPort}`,
    token,
    replicas: REPLICAS,
  };
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      ["--test", `--test-timeout=${TEST_TIMEOUT_MS}`, "--test-reporter=spec", ...randomize, TEST_FILE],
      {
        cwd: ROOT,
        env: { ...env, COMPOSE_TARGET: JSON.stringify(target) },
        stdio: "inherit",
      },
    );
    child.on("exit", (status) => resolve(status ?? 1));
  });
  failed = code !== 0;
} catch (err) {
  process.stderr.write(`test:compose: ${(err as Error).message}\n`);
} finally {
  if (failed) compose(["logs", "--no-color", "--tail", "150"]);
  compose(["down", "-v", "--remove-orphans", "--timeout", "30"]);
}
process.exit(failed ? 1 : 0);
