/**
 * The end-to-end suite against the real containers of docker-compose.yml; run by `npm run test:compose`
 * (scripts/test-compose.ts), which brings the deployment up and passes where it is in COMPOSE_TARGET.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { closeAll, connectClient, whoami } from "../helpers/clients.js";
import { docker, dockerLive } from "../helpers/docker.js";
import { NumberedStream } from "../helpers/numbered.js";
import { times, within } from "../helpers/wait.js";
import { deploymentSuite } from "../e2e/topology-suite.js";
import { freePort, pollUntil } from "../../scripts/processes.js";
import { REPO_ROOT } from "../../scripts/settings-docs.js";
import { SETTINGS } from "../../services/shared/settings.js";
import { SETTINGS_REACHING_CONTAINERS } from "../helpers/deployment-env.js";

/** The ```bash block of a page of the docs that starts with `start`; fails the test when there is none. */
function bashBlock(page: string, start: string): string {
  const markdown = readFileSync(join(REPO_ROOT, page), "utf8");
  const block = [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1]!)
    .find((b) => b.startsWith(start));
  assert.ok(block, `${page} has no bash block starting with ${start}`);
  return block;
}

/**
 * Runs the `curl` block of docs/architecture.md with bash, on this deployment's broadcaster (the page shows
 * the default port, 8081) and with its token in BROADCASTER_TOKEN, as the page assumes; returns curl's output.
 */
function documentedCurl(broadcaster: string, token: string): string {
  const block = bashBlock("docs/architecture.md", "curl -i -X POST http://127.0.0.1:8081/broadcast");
  const script = block.replaceAll("http://127.0.0.1:8081", broadcaster);
  return execFileSync("bash", ["-c", script], {
    encoding: "utf8",
    env: { ...process.env, BROADCASTER_TOKEN: token },
  });
}

/**
 * Runs the block of docs/operations.md that enables the broadcaster's API (append a token to .env, recreate the
 * broadcaster, source .env, curl), as a user would in a fresh clone: in a directory of its own holding
 * docker-compose.yml and an .env that moves the API off 8081, as a project of its own (Redis and the
 * broadcaster only, from the image already built), with none of this suite's settings in the environment.
 */
async function documentedTokenSteps(): Promise<string> {
  const block = bashBlock("docs/operations.md", 'echo "BROADCASTER_TOKEN=');
  const port = await freePort();
  const dir = join(tmpdir(), `socketio-token-steps-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(REPO_ROOT, "docker-compose.yml"), join(dir, "docker-compose.yml"));
  writeFileSync(join(dir, ".env"), `BROADCASTER_PORT=${port}\n`);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // docker-compose.yml names its project (`name:`); this variable takes precedence, so that the steps never
    // touch a deployment of yours that runs under that name.
    COMPOSE_PROJECT_NAME: `socketio-token-steps-${process.pid}`,
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    ...(process.env.DOCKER_CONFIG ? { DOCKER_CONFIG: process.env.DOCKER_CONFIG } : {}),
  };
  try {
    return execFileSync("bash", ["-e", "-c", block.replaceAll("127.0.0.1:8081", `127.0.0.1:${port}`)], {
      cwd: dir,
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
  } finally {
    execFileSync("docker", ["compose", "down", "-v", "--timeout", "10"], { cwd: dir, env, stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The replicas' stop_grace_period in docker-compose.yml, in seconds: SHUTDOWN_TIMEOUT_MS, not set by the suite. */
const GRACE_SECONDS = SETTINGS.SHUTDOWN_TIMEOUT_MS.default / 1000;

interface ComposeTarget {
  project: string;
  files: string[];
  url: string;
  broadcaster: string;
  /** Prometheus's API (the observability profile). */
  prometheus: string;
  token: string;
  /** How many replicas the deployment runs (`--scale replica=N`). */
  replicas: number;
}

const target = JSON.parse(process.env.COMPOSE_TARGET ?? "null") as ComposeTarget | null;
const compose = (...args: string[]) => docker("compose", "-p", target!.project, ...target!.files, ...args);
const composeLive = (...args: string[]) => dockerLive("compose", "-p", target!.project, ...target!.files, ...args);
const ids = (service: string, ...flags: string[]) =>
  compose("ps", "-q", ...flags, service)
    .split("\n")
    .filter(Boolean);

/** Each running replica's test-only port (docker-compose.test.yml): a restarted container gets a new one. */
function replicaUrls(): string[] {
  return ids("replica", "--status", "running").map((id) => `http://${docker("port", id, "3000").split("\n")[0]}`);
}

/** Connects through nginx once it serves (after a reload, old workers finish what they hold); WebSocket only. */
async function connectWhenServed() {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await connectClient(target!.url, { transport: "websocket" });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200)); // pacing the attempts, not synchronisation
    }
  }
}

/** The running replicas and nginx, each with its start time: nginx resolved `replica` when it last started or reloaded. */
const replicaSet = () =>
  [...ids("replica", "--status", "running"), ...ids("nginx", "--status", "running")]
    .map((id) => `${id} ${docker("inspect", "-f", "{{.State.StartedAt}}", id)}`)
    .sort()
    .join("\n");
let servedSet: string | undefined;

/**
 * The deployment as `npm run test:compose` brought it up: every service running and healthy, `replicas`
 * replicas, nginx balancing over those. Every test starts from it, whatever the test before it stopped, killed
 * or scaled, so that no test depends on the order of the others.
 */
async function baseline(): Promise<void> {
  servedSet ??= replicaSet(); // the first call: nginx started after the replicas were healthy (depends_on)
  compose("up", "-d", "--no-recreate", "--wait", "--scale", `replica=${target!.replicas}`);
  if (replicaSet() === servedSet) return;
  // nginx 1.22 resolves `replica` only when it loads its configuration (no upstream `resolve`).
  compose("exec", "-T", "nginx", "nginx", "-s", "reload");
  closeAll([(await connectWhenServed()).socket]);
  servedSet = replicaSet();
}

describe(
  "docker compose: nginx -> 3 replicas x 2 workers -> Redis, with the broadcaster",
  { skip: target ? false : "run through `npm run test:compose`" },
  () => {
    describe("the shared end-to-end checks, through nginx and each replica's own port", () => {
      before(baseline);
      deploymentSuite(() => target!, replicaUrls);
    });

    test("clients through nginx get hello, and all land on one replica (they share the gateway's address)", async () => {
      await baseline();
      const clients = await times(8, () => connectClient(target!.url, { transport: "websocket" }));
      closeAll(clients.map((c) => c.socket));
      assert.equal(new Set(clients.map((c) => c.hello.replica)).size, 1);
    });

    test("containers run hardened and bounded; Redis wants its password and is not published; nginx on loopback", async () => {
      await baseline();
      const inspect = (service: string) => {
        const id = compose("ps", "-q", service).split("\n")[0]!;
        return JSON.parse(docker("inspect", id))[0] as {
          Config: { User: string };
          HostConfig: {
            ReadonlyRootfs: boolean;
            CapDrop: string[] | null;
            SecurityOpt: string[] | null;
            PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null;
            Memory: number;
            PidsLimit: number | null;
          };
        };
      };
      for (const service of ["replica", "broadcaster", "redis", "nginx"]) {
        const { Config, HostConfig } = inspect(service);
        assert.equal(HostConfig.ReadonlyRootfs, true, `${service}: read-only root filesystem`);
        assert.deepEqual(HostConfig.CapDrop, ["ALL"], `${service}: capabilities`);
        assert.ok(
          HostConfig.SecurityOpt?.some((opt) => opt.startsWith("no-new-privileges")),
          `${service}: no-new-privileges`,
        );
        if (service !== "nginx") assert.notEqual(Config.User, "", `${service} runs as root`);
        assert.ok(HostConfig.Memory > 0, `${service}: no memory limit`);
        assert.ok((HostConfig.PidsLimit ?? 0) > 0, `${service}: no pids limit`);
      }
      // Published on this machine's loopback unless HTTP_BIND says otherwise.
      const published = inspect("nginx").HostConfig.PortBindings?.["80/tcp"] ?? [];
      assert.deepEqual(
        published.map((b) => b.HostIp),
        ["127.0.0.1"],
      );
      assert.deepEqual(Object.keys(inspect("redis").HostConfig.PortBindings ?? {}), [], "redis is published");
      // Metrics stay on the backend network: nginx's stub_status (8090) and the Node services' /metrics (9464)
      // are not published; Prometheus (the observability profile) only on loopback.
      const ports = (service: string) => Object.keys(inspect(service).HostConfig.PortBindings ?? {});
      assert.deepEqual(ports("nginx"), ["80/tcp"]);
      assert.deepEqual(ports("broadcaster"), ["8081/tcp"]);
      assert.deepEqual(ports("replica"), ["3000/tcp"], "only the test-only port of docker-compose.test.yml");
      const prometheus = inspect("prometheus").HostConfig.PortBindings?.["9090/tcp"] ?? [];
      assert.deepEqual(
        prometheus.map((b) => b.HostIp),
        ["127.0.0.1"],
      );
      const anonymous = compose("exec", "-T", "-e", "REDISCLI_AUTH=", "redis", "redis-cli", "ping");
      assert.match(anonymous, /NOAUTH/);
      // nginx raised its descriptor limit as configured, without an [alert] (it logged one at every start).
      assert.doesNotMatch(compose("logs", "--no-color", "nginx"), /\[(alert|emerg|crit)\]/);
    });

    test("healthchecks are cheap shell probes that pass on 200 and fail on anything else", async () => {
      await baseline();
      for (const [service, path] of [
        ["replica", "/readyz"],
        ["broadcaster", "/healthz"],
        ["nginx", "/healthz"],
      ] as const) {
        const id = compose("ps", "-q", service).split("\n")[0]!;
        const probe = JSON.parse(docker("inspect", "-f", "{{json .Config.Healthcheck.Test}}", id)) as string[];
        assert.deepEqual(probe.slice(0, 3), ["CMD", "bash", "-c"], `${service}: not a shell probe`);
        const run = (script: string) => {
          try {
            docker("exec", id, "bash", "-c", script);
            return 0;
          } catch (err) {
            return (err as { status: number }).status;
          }
        };
        assert.equal(run(probe[3]!), 0, `${service}: the probe fails on a healthy service`);
        assert.ok(probe[3]!.includes(path), `${service}: the probe does not ask ${path}`);
        assert.notEqual(run(probe[3]!.replace(path, "/no-such-path")), 0, `${service}: the probe passes on a 404`);
      }
    });

    test("the broadcaster API as docs/architecture.md shows it: its curl command, run as written", async () => {
      await baseline();
      const output = documentedCurl(target!.broadcaster, target!.token);
      assert.match(output, /^HTTP\/1\.1 202 Accepted/m);
      assert.match(output, /\{"ok":true,"position":\{"channel":"\*","epoch":"[^"]+","offset":\d+\}\}/);
    });

    test("the token steps of docs/operations.md, run as written in a copy of the project: the API answers 202", async () => {
      const output = await documentedTokenSteps();
      assert.match(output, /^HTTP\/1\.1 202 Accepted/m);
    });

    test("what .env sets reaches the containers that read it, and takes effect", async () => {
      await baseline();
      const envOf = (service: string) => {
        const id = compose("ps", "-q", service).split("\n")[0]!;
        return (JSON.parse(docker("inspect", id))[0] as { Config: { Env: string[] } }).Config.Env;
      };
      for (const [name, value] of Object.entries(SETTINGS_REACHING_CONTAINERS)) {
        const readers = SETTINGS[name as keyof typeof SETTINGS_REACHING_CONTAINERS].readBy;
        for (const service of ["replica", "broadcaster"] as const) {
          const passed = envOf(service).includes(`${name}=${value}`);
          assert.equal(passed, (readers as readonly string[]).includes(service), `${name} in ${service}`);
        }
      }
      // BROADCAST_BODY_LIMIT=60000: a body the default (65536) would accept is refused. On a connection of its
      // own: fetch may reuse a pooled one that the broadcaster is closing for being idle ("other side closed").
      const body = JSON.stringify({ event: "news", data: { text: "x".repeat(61_000) } });
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpRequest(`${target!.broadcaster}/broadcast`, {
          method: "POST",
          agent: false,
          headers: { authorization: `Bearer ${target!.token}`, "content-type": "application/json" },
        });
        req.on("response", (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on("error", reject);
        req.end(body);
      });
      assert.equal(status, 413);
    });

    test("delivery: a replica killed, a rolling restart, scaling up and down: nothing lost", async (t) => {
      await baseline();
      const stream = new NumberedStream(target!.broadcaster, target!.token);
      try {
        // Through nginx, both transports: they all reach one replica (the gateway's address), and move to the
        // others when it goes. (Not to the replicas' test-only ports: a restarted container gets a new one.)
        for (const transport of ["websocket", "polling", "websocket", "polling", "websocket", "polling"] as const) {
          await stream.addClient(target!.url, `${transport} via nginx`, { transports: [transport] });
        }
        const { replica } = await whoami(stream.clients[0]!.socket);
        const ids = compose("ps", "-q", "replica").split("\n").filter(Boolean);
        const busiest = ids.find((id) => id.startsWith(replica))!;
        assert.ok(busiest, `no container for ${replica}`);
        await stream.survive(t, "compose: replica SIGKILL", async () => {
          await dockerLive("kill", busiest);
          await dockerLive("start", busiest);
        });
        await stream.survive(t, "compose: rolling restart", async () => {
          for (const id of ids) await dockerLive("restart", "--time", String(GRACE_SECONDS), id);
        });
        // Scaling as the README says: the replica count without recreating anything, then an nginx reload, so
        // that it resolves `replica` again while its connections stay open.
        const nginxStarted = () => docker("inspect", "-f", "{{.State.StartedAt}}", compose("ps", "-q", "nginx"));
        const before = { nginx: nginxStarted(), disconnects: stream.clients.map((c) => c.disconnects) };
        await stream.survive(t, "compose: scale up", async () => {
          await composeLive("up", "-d", "--no-recreate", "--wait", "--scale", `replica=${ids.length + 1}`);
          await composeLive("exec", "-T", "nginx", "nginx", "-s", "reload");
        });
        const running = compose("ps", "-q", "replica").split("\n").filter(Boolean);
        assert.deepEqual(
          ids.filter((id) => !running.includes(id)),
          [],
          "scaling up recreated a running replica",
        );
        assert.equal(running.length, ids.length + 1);
        assert.equal(nginxStarted(), before.nginx, "nginx was restarted, not reloaded");
        // WebSocket connections stay open through the reload. A long-polling client sends a new request every
        // time, and with one more replica ip_hash may send it elsewhere (old nginx workers, still finishing,
        // hash over the old list): it reconnects and resumes, and survive() checked that it lost nothing.
        stream.clients.forEach((c, i) => {
          if (!c.label.startsWith("websocket")) return;
          assert.equal(c.disconnects, before.disconnects[i], `${c.label} was disconnected by scaling up`);
        });
        const added = running.find((id) => !ids.includes(id))!;
        // Who is where before scaling down: only the clients of the removed replica may be disconnected (and
        // long-polling ones that ip_hash sends elsewhere, as above).
        const kept = [];
        for (const client of stream.clients.filter((c) => c.label.startsWith("websocket"))) {
          const { replica } = await whoami(client.socket);
          if (!added.startsWith(replica)) kept.push({ client, disconnects: client.disconnects });
        }
        await stream.survive(t, "compose: scale down", async () => {
          await composeLive("up", "-d", "--no-recreate", "--wait", "--scale", `replica=${ids.length}`);
          await composeLive("exec", "-T", "nginx", "nginx", "-s", "reload");
        });
        const left = compose("ps", "-q", "replica").split("\n").filter(Boolean);
        assert.ok(!left.includes(added), "scaling down removed an original replica, not the added one");
        assert.deepEqual([...left].sort(), [...ids].sort());
        for (const { client, disconnects } of kept) {
          assert.equal(client.disconnects, disconnects, `${client.label}, on a kept replica, was disconnected`);
        }
      } finally {
        await stream.stop();
        stream.closeAll();
      }
    });

    test("scaling: a new replica serves once nginx reloads; stopped replicas drain and exit 0 within the grace period", async () => {
      await baseline();
      const original = ids("replica");
      assert.equal(original.length, target!.replicas);
      // What the README tells users: scale without recreating, then reload nginx so it resolves `replica` again.
      const replicas = String(original.length + 1);
      compose("up", "-d", "--no-recreate", "--wait", "--scale", `replica=${replicas}`);
      compose("exec", "-T", "nginx", "nginx", "-s", "reload");
      compose("up", "-d", "--no-recreate", "--wait", "--scale", `replica=${replicas}`);
      const added = ids("replica").filter((id) => !original.includes(id));
      assert.equal(added.length, 1);

      // Stop the original replicas, as `docker compose stop` does, one container at a time.
      for (const id of original) {
        const started = Date.now();
        docker("stop", "--time", String(GRACE_SECONDS), id);
        const seconds = (Date.now() - started) / 1000;
        const [status, code] = docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id).split(" ");
        assert.equal(status, "exited");
        assert.equal(code, "0", `replica ${id} exited with ${code} (137: killed at the end of the grace period)`);
        assert.ok(seconds < GRACE_SECONDS, `stop took ${seconds} s, longer than stop_grace_period`);
      }

      // Clients through nginx now reach the added replica, the only one left.
      assert.deepEqual(ids("replica", "--status", "running"), added);
      const { socket, hello } = await connectClient(target!.url, { transport: "polling" });
      socket.disconnect();
      // The replica's name defaults to its hostname, which Docker sets to the short container id.
      assert.ok(added[0]!.startsWith(hello.replica), `hello from ${hello.replica}, expected ${added[0]}`);
    });

    test("promtool: the Prometheus config and rules are valid, and the rules' unit tests pass", async () => {
      await baseline();
      const promtool = (...args: string[]) =>
        compose(
          "run",
          "--rm",
          "--no-deps",
          "-v",
          `${join(REPO_ROOT, "observability")}:/o:ro`,
          "--entrypoint",
          "promtool",
          "prometheus",
          ...args,
        );
      assert.match(promtool("check", "config", "/etc/prometheus/prometheus.yml"), /SUCCESS/);
      assert.match(promtool("test", "rules", "/o/rules.test.yml"), /SUCCESS/);
    });

    test("Prometheus scrapes every replica (by DNS), the broadcaster and both exporters; it counts the clients connected", async () => {
      await baseline();
      const query = async (expr: string) => {
        const res = await fetch(`${target!.prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
        return body.data.result.map((r) => Number(r.value[1]));
      };
      const eventually = (what: string, check: () => Promise<boolean>) =>
        pollUntil(what, check, { timeoutMs: 60_000, intervalMs: 500 });
      await eventually("every target up: 3 replicas, the broadcaster, both exporters, Prometheus", async () => {
        const res = await fetch(`${target!.prometheus}/api/v1/targets?state=active`);
        const { data } = (await res.json()) as {
          data: { activeTargets: Array<{ labels: { job: string }; health: string }> };
        };
        const up = data.activeTargets.filter((t) => t.health === "up").map((t) => t.labels.job);
        return (
          data.activeTargets.length === up.length &&
          up.filter((job) => job === "replica").length === target!.replicas &&
          ["broadcaster", "nginx", "redis", "prometheus"].every((job) => up.includes(job))
        );
      });
      // Only what was scraped in the last 15 s (3 scrapes): when Prometheus itself was stopped and started
      // again (another test's `docker compose stop`), the series of targets that went away meanwhile were never
      // marked stale, and a plain query still returns their last value for 5 minutes.
      const recent = (metric: string) => `last_over_time(${metric}[15s])`;
      assert.deepEqual(await query(recent("nginx_up")), [1]);
      assert.deepEqual(await query(recent("redis_up")), [1]);
      // Each replica's primary and both workers, as series of their own.
      await eventually("3 series per replica: its primary and 2 workers", async () => {
        const [count] = await query(
          `count(count by (replica, worker) (${recent("socketio_workers")} or ${recent("socketio_connections_total")}))`,
        );
        return count === target!.replicas * 3;
      });
      const connected = async () => (await query(`sum(${recent("socketio_connected_sockets")})`))[0];
      await eventually("no client left from another test", async () => (await connected()) === 0);
      const clients = await times(6, (i) =>
        connectClient(replicaUrls()[i % target!.replicas]!, { transport: i % 2 ? "polling" : "websocket" }),
      );
      try {
        await eventually("Prometheus counting the 6 clients", async () => (await connected()) === 6);
      } finally {
        closeAll(clients.map((c) => c.socket));
      }
      await eventually("and none once they left", async () => (await connected()) === 0);
    });

    test("`docker compose stop replica` exits 0 within the grace period", async () => {
      await baseline();
      const ids = compose("ps", "-q", "replica").split("\n").filter(Boolean);
      const started = Date.now();
      compose("stop", "replica");
      assert.ok((Date.now() - started) / 1000 < GRACE_SECONDS);
      for (const id of ids) assert.equal(docker("inspect", "-f", "{{.State.ExitCode}}", id), "0");
    });

    test("`docker compose stop` with WebSocket clients connected: every container of ours exits 0, every client is let go", async () => {
      await baseline();
      const clients = await times(4, () => connectWhenServed());
      const reasons = clients.map(
        ({ socket }) => new Promise<string>((resolve) => socket.once("disconnect", (reason) => resolve(reason))),
      );
      const started = Date.now();
      compose("stop");
      const seconds = (Date.now() - started) / 1000;
      const ids = compose("ps", "-a", "-q").split("\n").filter(Boolean);
      for (const id of ids) {
        const [name, code] = docker("inspect", "-f", "{{.Name}} {{.State.ExitCode}}", id).split(" ");
        // The exporters exit 1 (nginx exporter 0.11) and 2 (redis_exporter 1.45) on any stop signal, at once:
        // they hold no state, and 137 (killed at the end of the grace period) would still fail here.
        if (/-(nginx|redis)-exporter-\d+$/.test(name!)) {
          assert.notEqual(code, "137", `${name} was killed at the end of its grace period`);
          continue;
        }
        assert.equal(code, "0", `${name} exited with ${code} (137: killed at the end of its grace period)`);
      }
      // nginx closed their connections itself (the clients are told at once, no timeout).
      for (const reason of await within(Promise.all(reasons), 10_000, "every client disconnected")) {
        assert.match(reason, /transport (close|error)/);
      }
      closeAll(clients.map((c) => c.socket));
      assert.ok(seconds < 15, `stop took ${seconds} s`);
    });
  },
);
