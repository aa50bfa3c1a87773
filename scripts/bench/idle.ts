/**
 * `npm run bench:idle`: what the Compose deployment costs with nothing connected. Measures the machine's busy
 * CPU without the deployment, brings it up (its own project name, free ports), lets it settle past start-up,
 * measures again, and splits the cost by container (their cgroups, healthcheck processes included) and by
 * what is left: the Docker engine itself (dockerd, containerd, shims, runc for every healthcheck exec).
 *
 *   npm run bench:idle -- --seconds 60 --settle 30 [--out scripts/bench/results/example/idle.md]
 *
 * Close everything else first: the machine's total is what is compared.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "../processes.js";
import { machineCpuMicros } from "./procstat.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    settle: { type: "string", default: "30" },
    out: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const settleSeconds = Number(values.settle);
const project = `socketio-idle-${process.pid}`;
const env = { ...process.env, HTTP_PORT: String(await freePort()), BROADCASTER_PORT: String(await freePort()) };

function docker(args: string[], capture = true): string {
  const result = spawnSync("docker", args, {
    cwd: ROOT,
    env,
    encoding: "utf8",
    stdio: ["ignore", capture ? "pipe" : process.stderr, "inherit"],
  });
  if (result.status !== 0) throw new Error(`docker ${args.join(" ")} exited ${result.status}`);
  return result.stdout ?? "";
}

/** A container's CPU time so far, in microseconds, from its cgroup (v1 cpuacct, or v2 with either driver). */
function containerCpuMicros(id: string): number {
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
  if (existsSync(v1)) return Number(readFileSync(v1, "utf8")) / 1000;
  for (const dir of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) {
    if (!existsSync(`${dir}/cpu.stat`)) continue;
    const line = readFileSync(`${dir}/cpu.stat`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("usage_usec"));
    return Number(line?.split(" ")[1] ?? 0);
  }
  throw new Error(`no cgroup found for container ${id} (run on the Docker host, as root)`);
}

/** Busy CPU over `ms`, in cores (1.0 = one core busy all the time), machine-wide and per container. */
async function measure(ms: number, containers: Map<string, string>) {
  const before = {
    machine: machineCpuMicros(),
    each: new Map([...containers].map(([id]) => [id, containerCpuMicros(id)])),
  };
  await new Promise((resolve) => setTimeout(resolve, ms)); // the measurement window itself
  const machine = (machineCpuMicros() - before.machine) / (ms * 1000);
  const each = new Map<string, number>();
  for (const [id, name] of containers) {
    each.set(name, (containerCpuMicros(id) - before.each.get(id)!) / (ms * 1000));
  }
  return { machine, each };
}

const pct = (cores: number) => `${(cores * 100).toFixed(1)}%`;
let report = "";
try {
  process.stderr.write(`idle: ${seconds} s of the machine without the deployment\n`);
  const baseline = await measure(seconds * 1000, new Map());
  docker(["compose", "-p", project, "up", "-d", "--build", "--wait", "--wait-timeout", "300"], false);
  process.stderr.write(`idle: up; ${settleSeconds} s to settle past start-up, then ${seconds} s measured\n`);
  await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000)); // past start_interval, by design
  const containers = new Map<string, string>();
  for (const line of docker(["compose", "-p", project, "ps", "-q", "--status", "running"])
    .split("\n")
    .filter(Boolean)) {
    const name = docker(["inspect", "-f", "{{.Name}}", line]).trim().replace(`/${project}-`, "");
    const full = docker(["inspect", "-f", "{{.Id}}", line]).trim();
    containers.set(full, name);
  }
  const up = await measure(seconds * 1000, containers);
  const inContainers = [...up.each.values()].reduce((a, b) => a + b, 0);
  const stack = up.machine - baseline.machine;
  report = [
    `# Idle Compose deployment: CPU with nothing connected`,
    ``,
    `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${seconds} s windows, ${settleSeconds} s after \`up --wait\`.`,
    `Shares of one core (100% = one core busy all the time).`,
    ``,
    `| what | CPU |`,
    `| --- | --- |`,
    `| machine without the deployment | ${pct(baseline.machine)} |`,
    `| machine with the deployment | ${pct(up.machine)} |`,
    `| **the deployment's cost** (difference) | **${pct(stack)}** |`,
    `| of which inside its containers (healthchecks included) | ${pct(inContainers)} |`,
    `| of which outside: the engine (dockerd, containerd, shims, runc) | ${pct(stack - inContainers)} |`,
    ...[...up.each]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, cores]) => `| container \`${name}\` | ${pct(cores)} |`),
    ``,
  ].join("\n");
  process.stdout.write(report);
  if (values.out) writeFileSync(values.out, report);
} finally {
  docker(["compose", "-p", project, "down", "-v", "--remove-orphans", "--timeout", "30"], false);
}
