/**
 * Runs docs/fork.md as written: on a copy of the repository, applies each code block to the file it names
 * (```ts file=PATH create | after="LINE" | replace="TEXT"), and runs each command block (```bash run, or
 * ```bash run fails for a step that must fail), in order. The page cannot drift from the code.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../../scripts/settings-docs.js";

type Step =
  | { kind: "edit"; file: string; op: "create" | "after" | "replace"; anchor: string; body: string }
  | { kind: "run"; command: string; fails: boolean };

/** What the build and the tests of a fork need; node_modules is linked, not copied. */
const COPIED = [
  "services",
  "client",
  "scripts",
  "test",
  "web",
  "nginx",
  "package.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "tsconfig.web.json",
];

function parseWalkthrough(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const block of markdown.matchAll(/^```(\w+) ?([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [, language, info, body] = block as unknown as [string, string, string, string];
    if (language === "bash" && /^run\b/.test(info)) {
      steps.push({ kind: "run", command: body.trim(), fails: /\bfails\b/.test(info) });
      continue;
    }
    const file = /\bfile=(\S+)/.exec(info)?.[1];
    if (!file) continue;
    const quoted = /\b(after|replace)="((?:[^"\\]|\\.)*)"/.exec(info);
    if (quoted) {
      steps.push({ kind: "edit", file, op: quoted[1] as "after" | "replace", anchor: unescape(quoted[2]!), body });
    } else if (/\bcreate\b/.test(info)) {
      steps.push({ kind: "edit", file, op: "create", anchor: "", body });
    } else {
      throw new Error(`docs/fork.md: block for ${file} says neither create, after="…" nor replace="…"`);
    }
  }
  return steps;
}

/**
 * The environment for the page's commands, as a user's shell would have it: without NODE_TEST_CONTEXT, which
 * this test runner sets for its children and which makes a nested `node --test` skip every file (and pass).
 */
function commandEnv(): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  return env;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

function apply(root: string, step: Extract<Step, { kind: "edit" }>): void {
  const path = join(root, step.file);
  if (step.op === "create") return writeFileSync(path, step.body);
  const source = readFileSync(path, "utf8");
  const at = source.indexOf(step.anchor);
  assert.notEqual(at, -1, `docs/fork.md: "${step.anchor}" is not in ${step.file} any more`);
  if (step.op === "replace") {
    writeFileSync(path, source.slice(0, at) + step.body.trimEnd() + source.slice(at + step.anchor.length));
  } else {
    const lineEnd = source.indexOf("\n", at) + 1;
    writeFileSync(path, source.slice(0, lineEnd) + step.body + source.slice(lineEnd));
  }
}

test("docs/fork.md, run as written on a copy of the repository: the new event is typed, handled and tested", () => {
  const steps = parseWalkthrough(readFileSync(join(REPO_ROOT, "docs/fork.md"), "utf8"));
  assert.ok(steps.filter((s) => s.kind === "run").length >= 3, "the walkthrough runs its commands");
  const copy = mkdtempSync(join(tmpdir(), "fork-walkthrough-"));
  try {
    for (const entry of COPIED) {
      cpSync(join(REPO_ROOT, entry), join(copy, entry), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, "node_modules"), join(copy, "node_modules"));
    for (const step of steps) {
      if (step.kind === "edit") {
        apply(copy, step);
        continue;
      }
      const run = spawnSync("bash", ["-c", step.command], { cwd: copy, encoding: "utf8", env: commandEnv() });
      const output = `${run.stdout}${run.stderr}`;
      if (step.fails) {
        assert.notEqual(run.status, 0, `\`${step.command}\` should fail at this step:\n${output}`);
        // What the page says the compiler answers.
        assert.match(output, /Property 'typing' is missing in type .* but required in type 'EventHandlers'/);
        assert.match(output, /services\/server\/app\/events\/handlers\.ts/);
      } else {
        assert.equal(run.status, 0, `\`${step.command}\` failed:\n${output.slice(-4000)}`);
        if (step.command.startsWith("npm test"))
          assert.match(output, /✔ the room's other members are told who is typing/);
      }
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
