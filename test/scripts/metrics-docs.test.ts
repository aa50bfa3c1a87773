import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { METRICS_DOC, renderMetricsDoc } from "../../scripts/metrics-docs.js";
import { REPO_ROOT } from "../../scripts/settings-docs.js";
import { METRICS } from "../../services/shared/metrics.js";

test("the table of docs/metrics.md is the one generated from the declarations (npm run settings:docs)", () => {
  const page = readFileSync(join(REPO_ROOT, METRICS_DOC), "utf8");
  assert.equal(page, renderMetricsDoc(page), "run `npm run settings:docs` and commit the result");
});

test("metric names follow Prometheus's conventions: a prefix per process, counters in _total, seconds", () => {
  for (const [name, spec] of Object.entries(METRICS)) {
    assert.match(name, spec.exporter === "broadcaster" ? /^broadcaster_[a-z_]+$/ : /^socketio_[a-z_]+$/, name);
    assert.equal(name.endsWith("_total"), spec.type === "counter", `${name}: counters, and only they, end in _total`);
    if (spec.type === "histogram") assert.match(name, /_seconds$/, `${name}: histograms here measure seconds`);
    assert.ok(spec.help.length > 10, `${name}: say what it means`);
  }
});
