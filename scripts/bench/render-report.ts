/** Re-renders report.md and plot.svg from a run's results.json: `node dist/scripts/bench/render-report.js DIR`. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeReport, type BenchResults } from "./report.js";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: render-report.js <results folder>\n");
  process.exit(2);
}
writeReport(dir, JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as BenchResults);
process.stderr.write(`rendered ${join(dir, "report.md")} and plot.svg\n`);
