/**
 * The layout's promises (services/server/README.md), checked on the static import graph of the sources: the
 * primary loads none of the worker's libraries, and the cluster plumbing and the application never import
 * each other.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../../../scripts/settings-docs.js";

/** Every module reached from `entry` through static imports (`import … from`, not `await import()`). */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)";/gms)) {
      const statement = match[0];
      const specifier = match[1]!;
      // Type-only imports are erased by the compiler: they load nothing.
      if (/^(?:import|export)\s+type\s/.test(statement)) continue;
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
        assert.ok(existsSync(target), `${relative(REPO_ROOT, file)} imports a missing ${specifier}`);
        visit(target);
      } else if (!specifier.startsWith("node:")) {
        packages.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);
      }
    }
  };
  visit(join(REPO_ROOT, entry));
  return { files, packages };
}

const within = (files: Set<string>, folder: string) =>
  [...files].map((file) => relative(REPO_ROOT, file)).filter((file) => file.startsWith(folder));

test("the primary's code loads neither Socket.IO, nor express, nor jose", () => {
  const { packages, files } = staticGraph("services/server/cluster/primary.ts");
  for (const heavy of ["socket.io", "express", "jose", "socket.io-msgpack-parser"]) {
    assert.ok(!packages.has(heavy), `the primary loads ${heavy}`);
  }
  assert.deepEqual(within(files, "services/server/app/"), []);
});

test("main.ts loads each role's code only once it knows its role", () => {
  const { files } = staticGraph("services/server/main.ts");
  assert.deepEqual(within(files, "services/server/cluster/"), []);
  assert.deepEqual(within(files, "services/server/app/"), []);
});

test("the cluster plumbing and the application never import each other", () => {
  for (const file of ["services/server/cluster/worker.ts", "services/server/cluster/primary.ts"]) {
    assert.deepEqual(within(staticGraph(file).files, "services/server/app/"), [], file);
  }
  assert.deepEqual(within(staticGraph("services/server/app/socket-server.ts").files, "services/server/cluster/"), []);
});
