import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * The compiled test files (`*.test.js`) under `dir`, sorted, whose TypeScript source still exists: `tsc` never
 * deletes what it compiled before, so a test deleted or renamed in test/ would otherwise still run from dist/.
 * @param compiledRoot dist/test; @param sourceRoot test/ (the same layout, `.ts` for `.js`)
 */
export function findTests(dir: string, compiledRoot: string, sourceRoot: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return findTests(path, compiledRoot, sourceRoot);
      if (!entry.name.endsWith(".test.js")) return [];
      const source = join(sourceRoot, relative(compiledRoot, path)).replace(/\.js$/, ".ts");
      return existsSync(source) ? [path] : [];
    })
    .sort();
}
