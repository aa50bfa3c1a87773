import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findTests } from "../../scripts/test-files.js";

test("only compiled tests whose source exists are found: a stale dist/ cannot run a deleted test", () => {
  const root = mkdtempSync(join(tmpdir(), "test-files-"));
  const [dist, src] = [join(root, "dist", "test"), join(root, "test")];
  for (const dir of [join(dist, "unit", "deep"), join(src, "unit", "deep")]) mkdirSync(dir, { recursive: true });
  for (const name of ["a.test.js", "deleted.test.js", "helper.js", "deep/b.test.js"])
    writeFileSync(join(dist, "unit", name), "");
  for (const name of ["a.test.ts", "helper.ts", "deep/b.test.ts"]) writeFileSync(join(src, "unit", name), "");
  assert.deepEqual(findTests(join(dist, "unit"), dist, src), [
    join(dist, "unit", "a.test.js"),
    join(dist, "unit", "deep", "b.test.js"),
  ]);
});
