/**
 * Writes `.env.example` and the tables of docs/configuration.md from services/shared/settings.ts, and the
 * table of docs/metrics.md from services/shared/metrics.ts:
 *
 *   npm run settings:docs            # write them
 *   npm run settings:docs -- --check # exit 1, naming the files, when they differ from the declarations
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { METRICS_DOC, renderMetricsDoc } from "./metrics-docs.js";
import { CONFIGURATION_DOC, REPO_ROOT, renderConfigurationDoc, renderEnvExample } from "./settings-docs.js";

const { values } = parseArgs({ options: { check: { type: "boolean" } } });
const files = [
  { path: join(REPO_ROOT, ".env.example"), render: () => renderEnvExample() },
  { path: join(REPO_ROOT, CONFIGURATION_DOC), render: (current: string) => renderConfigurationDoc(current) },
  { path: join(REPO_ROOT, METRICS_DOC), render: (current: string) => renderMetricsDoc(current) },
];
const stale: string[] = [];
for (const file of files) {
  const current = readFileSync(file.path, "utf8");
  const wanted = file.render(current);
  if (wanted === current) continue;
  stale.push(file.path);
  if (!values.check) writeFileSync(file.path, wanted);
}
if (values.check && stale.length > 0) {
  process.stderr.write(`out of date (run npm run settings:docs): ${stale.join(", ")}\n`);
  process.exit(1);
}
process.stderr.write(stale.length > 0 && !values.check ? `written: ${stale.join(", ")}\n` : "up to date\n");
