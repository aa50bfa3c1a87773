import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../../services/shared/logger.js";

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => lines.push(line) } };
}

test("JSON lines carry the bindings, the child's too, and serialize errors", () => {
  const { lines, stream } = capture();
  const log = createLogger({ service: "server", replica: "r1", pid: 7 }, { stream, pretty: false });
  log.child({ worker: 2 }).error("boom", { err: new Error("bad") });
  const record = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
  assert.equal(record.level, "error");
  assert.equal(record.service, "server");
  assert.equal(record.replica, "r1");
  assert.equal(record.worker, 2);
  assert.equal(record.pid, 7);
  assert.equal(record.msg, "boom");
  assert.equal((record.err as { message: string }).message, "bad");
});

test("levels below the threshold are dropped", () => {
  const { lines, stream } = capture();
  const log = createLogger({}, { stream, level: "warn", pretty: false });
  log.debug("a");
  log.info("b");
  log.warn("c");
  assert.equal(lines.length, 1);
});

test("pretty lines on a terminal", () => {
  const { lines, stream } = capture();
  createLogger({ service: "server", replica: "r1", worker: 1, pid: 9 }, { stream, pretty: true }).info("hello");
  assert.match(lines[0] ?? "", /INFO {2}\[server\/r1\/w1\/9\] hello/);
});
