/**
 * The table of docs/metrics.md, generated from services/shared/metrics.ts (`npm run settings:docs` writes it
 * along with the configuration tables; test/scripts/metrics-docs.test.ts fails when it is out of date).
 */
import { METRICS } from "../services/shared/metrics.js";

export const METRICS_DOC = "docs/metrics.md";

const WHERE = {
  worker: "replica (each worker)",
  primary: "replica (primary)",
  broadcaster: "broadcaster",
} as const;

/** The markdown table of every declared metric. */
export function renderMetricsTable(): string {
  const rows = Object.entries(METRICS).map(([name, spec]) =>
    [
      `\`${name}\``,
      spec.type,
      spec.labels.length > 0 ? spec.labels.map((l) => `\`${l}\``).join(", ") : "—",
      WHERE[spec.exporter],
      spec.help.replaceAll("|", "\\|"),
    ].join(" | "),
  );
  return [
    "| metric | type | labels | exported by | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r} |`),
  ].join("\n");
}

/** The page with its `<!-- metrics -->` … `<!-- /metrics -->` block replaced by the table. */
export function renderMetricsDoc(page: string): string {
  const start = "<!-- metrics -->";
  const end = "<!-- /metrics -->";
  const from = page.indexOf(start);
  const to = page.indexOf(end);
  if (from === -1 || to < from) throw new Error(`${METRICS_DOC} has no ${start} … ${end} block`);
  return `${page.slice(0, from + start.length)}\n${renderMetricsTable()}\n${page.slice(to)}`;
}
