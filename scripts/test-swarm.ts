/**
 * `npm run test:swarm`: the Swarm stack (deploy/swarm) on a single-node swarm of this machine's Docker. It
 * makes the swarm (`docker swarm init`), builds the image twice (the second a new image for the rolling
 * update), deploys with deploy/swarm/deploy.sh under a stack name of its own on free ports, runs
 * test/swarm/swarm.test.ts against it, and always removes the stack, its secrets and configs, and leaves the
 * swarm, printing the services' logs when something failed.
 *
 *   npm run test:swarm
 *   npm run test:swarm -- --randomize    # in a random order (Node 24)
 *
 * It refuses to run on a Docker that is already part of a swarm: leaving it would take down someone's services.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SETTINGS_REACHING_CONTAINERS, SUITE_SETTINGS } from "../test/helpers/deployment-env.js";
import { freePort, pollUntil, TEST_TIMEOUT_MS } from "./processes.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TEST_FILE = fileURLToPath(new URL("../test/swarm/swarm.test.js", import.meta.url));
const randomize = process.argv.includes("--randomize") ? ["--test-randomize"] : [];
const stack = `sit${process.pid}`;
const images = [`socketio-cluster-reference:${stack}-1`, `socketio-cluster-reference:${stack}-2`];

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  process.stderr.write(`$ ${command} ${args.join(" ")}\n`);
  const result = spawnSync(command, args, {
    cwd: ROOT,
    env: options.env ?? process.env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: options.timeoutMs ?? 300_000,
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? "");
    throw new Error(`${command} ${args.join(" ")}: exit ${result.status ?? result.signal ?? result.error?.message}`);
  }
  return result.stdout.trim();
}
const docker = (...args: string[]) => run("docker", args);

// Ctrl+C (or a closed terminal) stops the command running now, not this script: the cleanup below still runs,
// and the swarm it made does not outlive it. (Without a listener, Node would die at once, leaving the swarm.)
let suite: ReturnType<typeof spawn> | undefined;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    process.stderr.write(`test:swarm: ${signal}: cleaning up\n`);
    suite?.kill(signal);
  });
}

const state = docker("info", "--format", "{{.Swarm.LocalNodeState}}");
if (state !== "inactive") {
  process.stderr.write(`test:swarm: this Docker is already in a swarm (${state}); not touching it\n`);
  process.exit(1);
}

const httpPort = await freePort();
const broadcasterPort = await freePort();
const env = {
  ...process.env,
  IMAGE: images[0],
  HTTP_PORT: String(httpPort),
  BROADCASTER_PORT: String(broadcasterPort),
  ...SUITE_SETTINGS,
  ...SETTINGS_REACHING_CONTAINERS,
};

let failed = true;
let joined = false;
try {
  // Overlay networks from an address pool of this run's own: a run that was interrupted before its networks
  // were removed leaves their subnets claimed in the engine (tasks are then rejected with "Pool overlaps with
  // other one on this address space"), and the default pool would hand out the same ones again.
  const pool = `10.${128 + (process.pid % 120)}.0.0/16`;
  docker("swarm", "init", "--advertise-addr", "127.0.0.1", "--default-addr-pool", pool);
  joined = true;
  docker("build", "-q", "-t", images[0]!, ".");
  // The same build with another label: a new image id, as a new release would be.
  docker("build", "-q", "--label", `org.opencontainers.image.revision=${stack}-2`, "-t", images[1]!, ".");
  run("bash", ["deploy/swarm/deploy.sh", stack, "-c", "test/swarm/stack.test.yml", "--quiet"], { env });
  // deploy.sh made the secrets, as it does on a first deploy: the suite reads them where the services do.
  const secretOf = (service: string, name: string) => {
    const [id] = docker("ps", "-q", "--filter", `label=com.docker.swarm.service.name=${stack}_${service}`).split("\n");
    return docker("exec", id!, "cat", `/run/secrets/${name}`);
  };
  const token = secretOf("broadcaster", "broadcaster_token");
  const redisPassword = secretOf("replica", "redis_password");
  const target = {
    stack,
    url: `http://127.0.0.1:${httpPort}`,
    broadcaster: `http://127.0.0.1:${broadcasterPort}`,
    token,
    redisPassword,
    replicas: 3,
    images,
  };
  const code = await new Promise<number>((resolve) => {
    const child = (suite = spawn(
      process.execPath,
      ["--test", `--test-timeout=${TEST_TIMEOUT_MS * 3}`, "--test-reporter=spec", ...randomize, TEST_FILE],
      { cwd: ROOT, env: { ...env, SWARM_TARGET: JSON.stringify(target) }, stdio: "inherit" },
    ));
    child.on("exit", (status) => resolve(status ?? 1));
  });
  failed = code !== 0;
} catch (err) {
  process.stderr.write(`test:swarm: ${(err as Error).message}\n`);
} finally {
  // Bounded: `docker stack rm --detach=false` waits for as long as a network cannot be removed.
  const quiet = (...args: string[]) => spawnSync("docker", args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (failed) {
    for (const service of quiet("stack", "services", "--format", "{{.Name}}", stack).stdout.split("\n")) {
      if (!service) continue;
      process.stderr.write(`--- ${service}\n`);
      process.stderr.write(quiet("service", "ps", "--no-trunc", service).stdout);
      // The services' stdout and stderr come back on docker's own.
      const logs = quiet("service", "logs", "--raw", "--tail", "80", service);
      process.stderr.write(logs.stdout + logs.stderr);
    }
  }
  if (joined) {
    // --detach=false: until its tasks' containers are gone. Leaving the swarm then drops its secrets, configs
    // and overlay networks; --force: this node is its only manager.
    quiet("stack", "rm", "--detach=false", stack);
    // Its networks go once their last container is gone; leaving before that strands them in the engine.
    await pollUntil(
      "the stack's networks removed",
      async () =>
        quiet("network", "ls", "-q", "--filter", `label=com.docker.stack.namespace=${stack}`).stdout.trim() === "",
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch((err: Error) => process.stderr.write(`test:swarm: ${err.message}\n`));
    quiet("swarm", "leave", "--force");
    quiet("volume", "rm", `${stack}_redis-data`, `${stack}_prometheus-data`);
  }
  quiet("image", "rm", ...images);
}
process.exit(failed ? 1 : 0);
