import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CONFIGURATION_DOC, REPO_ROOT, renderConfigurationDoc, renderEnvExample } from "../../scripts/settings-docs.js";
import { allSettings } from "../../services/shared/settings.js";

const FIX = "out of date: run `npm run settings:docs` after changing services/shared/settings.ts";

test(".env.example is the one generated from the declarations", () => {
  assert.equal(readFileSync(join(REPO_ROOT, ".env.example"), "utf8"), renderEnvExample(), FIX);
});

test("the configuration tables of docs/configuration.md are the ones generated from the declarations", () => {
  const page = readFileSync(join(REPO_ROOT, CONFIGURATION_DOC), "utf8");
  assert.equal(page, renderConfigurationDoc(page), FIX);
});

test("every setting appears once in .env.example and once in the configuration tables", () => {
  const env = renderEnvExample();
  const readme = readFileSync(join(REPO_ROOT, CONFIGURATION_DOC), "utf8");
  for (const [name] of allSettings()) {
    assert.equal(env.match(new RegExp(`^#${name}=`, "gm"))?.length, 1, `${name} in .env.example`);
    assert.equal(readme.match(new RegExp(`^\\| \`${name}\` \\|`, "gm"))?.length, 1, `${name} in ${CONFIGURATION_DOC}`);
  }
});

test("declarations are consistent: defaults within bounds and among the values, descriptions present", () => {
  for (const [name, setting] of allSettings()) {
    assert.ok(setting.description.length > 10, `${name} needs a description`);
    assert.ok(setting.readBy.length > 0, `${name} must name who reads it`);
    if (setting.type === "integer" && setting.default !== undefined) {
      assert.ok(setting.min <= setting.default && setting.default <= setting.max, `${name} default out of bounds`);
    }
    if (setting.type === "enum") assert.ok(setting.values.includes(setting.default), `${name} default`);
    const computed = setting.defaultText !== undefined;
    const declared = "default" in setting && setting.default !== undefined;
    assert.ok(!(computed && declared), `${name}: a declared default and a computed one`);
  }
});
