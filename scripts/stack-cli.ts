/**
 * `npm run stack`: starts the local stack, prints one JSON line on stdout when it is healthy, and stops
 * everything on SIGINT, SIGTERM or SIGHUP (exit 0); a failed start exits 1 naming the service and its log.
 * Logs go to files; their folder is in the JSON line.
 *
 *   npm run stack -- --replicas 3 --workers 2 --port 8080
 *   STACK_REPLICAS=3 STACK_WORKERS=2 STACK_PORT=8080 npm run stack
 */
import { parseArgs } from "node:util";
import { EnvReader } from "../services/shared/config.js";
import { startStack } from "./stack.js";

const { values } = parseArgs({
  options: {
    replicas: { type: "string" },
    workers: { type: "string" },
    port: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stderr.write(
    "usage: npm run stack -- [--replicas N] [--workers N] [--port N]   (or STACK_REPLICAS, STACK_WORKERS, STACK_PORT)\n",
  );
  process.exit(0);
}

const read = new EnvReader({
  STACK_REPLICAS: values.replicas ?? process.env.STACK_REPLICAS,
  STACK_WORKERS: values.workers ?? process.env.STACK_WORKERS,
  STACK_PORT: values.port ?? process.env.STACK_PORT,
  STACK_BROADCASTER_PORT: process.env.STACK_BROADCASTER_PORT,
  STACK_TICK_INTERVAL_MS: process.env.STACK_TICK_INTERVAL_MS,
  STACK_BALANCE: process.env.STACK_BALANCE,
});
const options = {
  replicas: read.integer("STACK_REPLICAS"),
  workers: read.integer("STACK_WORKERS"),
  port: read.integer("STACK_PORT"),
  broadcasterPort: read.integer("STACK_BROADCASTER_PORT"),
  tickIntervalMs: read.integer("STACK_TICK_INTERVAL_MS"),
  balance: read.oneOf("STACK_BALANCE"),
};
try {
  read.assertValid();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}

process.stderr.write(`starting ${options.replicas} replica(s) x ${options.workers} worker(s)...\n`);
const starting = startStack(options);

// Installed before anything is started, and so before the ready line: a signal that follows the line at once
// (a test, a supervisor) must stop the stack, not kill this process with the default action. A signal during
// the start stops the stack once it is up (or exits 1 with the start's error).
let signalled = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (signalled) return;
  signalled = true;
  process.stderr.write(`${signal}: stopping...\n`);
  void starting
    .then((stack) => stack.stop())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
// The terminal closed. (Killed outright, this process cannot stop anything: its children then get SIGTERM from
// the kernel, see startProcess.)
process.on("SIGHUP", shutdown);

let stack: Awaited<typeof starting>;
try {
  stack = await starting;
} catch (err) {
  process.stderr.write(`stack failed to start: ${(err as Error).message}\n`);
  process.exit(1);
}
if (signalled) await new Promise(() => undefined); // shutdown() exits once the stack has stopped

const { url, broadcaster, broadcasterMetrics, token, redis, replicas, logDir } = stack;
process.stdout.write(
  JSON.stringify({ ready: true, url, broadcaster, broadcasterMetrics, token, redis, replicas, logs: logDir }) + "\n",
);
process.stderr.write(`ready: open ${url} (logs in ${logDir}); Ctrl+C stops everything\n`);
