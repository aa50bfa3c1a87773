/**
 * Every command the README and docs/ show is run somewhere: by a test or by CI (test/docs/documented-commands.ts
 * says where), and the ones no other test runs are run here.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { freePort, pollUntil, tree } from "../../scripts/processes.js";
import { REPO_ROOT } from "../../scripts/settings-docs.js";
import { within } from "../helpers/wait.js";
import { DOCUMENTED_COMMANDS } from "./documented-commands.js";

/** The commands of every ```bash block (continuations joined, comments dropped), but the walkthrough's `run` ones. */
function documentedCommands(): Map<string, string> {
  const pages = ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).map((name) => join("docs", name))];
  const commands = new Map<string, string>();
  for (const page of pages.filter((path) => path.endsWith(".md"))) {
    const markdown = readFileSync(join(REPO_ROOT, page), "utf8");
    for (const block of markdown.matchAll(/^```(?:bash|sh)([^\n]*)\n([\s\S]*?)^```$/gm)) {
      if (/\brun\b/.test(block[1]!)) continue;
      const joined = block[2]!.replace(/\\\n\s*/g, "");
      for (const line of joined.split("\n")) {
        const command = line.replace(/\s+#\s.*$/, "").trim();
        if (command !== "" && !command.startsWith("#")) commands.set(command, page);
      }
    }
  }
  return commands;
}

test("every command in the docs is listed with where it runs, and that place still runs it", () => {
  const documented = documentedCommands();
  const unlisted = [...documented].filter(([command]) => !(command in DOCUMENTED_COMMANDS));
  assert.deepEqual(unlisted, [], "add these to test/docs/documented-commands.ts, with the test that runs them");
  for (const [command, where] of Object.entries(DOCUMENTED_COMMANDS)) {
    assert.ok(documented.has(command), `no page shows \`${command}\` any more: remove it from the list`);
    assert.ok(existsSync(join(REPO_ROOT, where.by)), `${where.by} (for \`${command}\`) does not exist`);
    assert.ok(
      readFileSync(join(REPO_ROOT, where.by), "utf8").includes(where.runs),
      `${where.by} no longer contains ${where.runs} (for \`${command}\`)`,
    );
  }
});

test("`npm start`: one replica on the cluster adapter, ready, and gone on SIGTERM", async () => {
  const port = await freePort();
  // Its own process group, so that the signal reaches npm, its shell and node alike, as Ctrl+C would.
  const { NODE_TEST_CONTEXT: _context, REDIS_URL: _redis, ...env } = process.env;
  const child = spawn("npm", ["start"], {
    cwd: REPO_ROOT,
    env: { ...env, PORT: String(port), HOST: "127.0.0.1", WORKERS: "1", LOG_LEVEL: "warn" },
    stdio: "ignore",
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let processes: number[] = [];
  try {
    let body: { ready?: boolean; replica?: string } = {};
    await pollUntil(
      "npm start: /readyz",
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (res?.status !== 200) return false;
        body = (await res.json()) as typeof body;
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    assert.equal(body.ready, true);
    processes = tree([child.pid!]);
    assert.ok(processes.length >= 4, `npm, its shell, the primary and a worker: ${processes.length} processes`);
  } finally {
    process.kill(-child.pid!, "SIGTERM");
  }
  // npm itself dies of the signal, as it does on Ctrl+C; the replica drains and every process ends.
  await within(exited, 20_000, "npm start to exit after SIGTERM");
  await pollUntil("every process of npm start to end", async () => tree(processes).length === 0, { timeoutMs: 20_000 });
});
