/**
 * Renders `.env.example` and the configuration tables of docs/configuration.md from the settings declared in
 * services/shared/settings.ts, so that neither can drift from what the services read.
 * `npm run settings:docs` writes them; test/scripts/settings-docs.test.ts fails when they differ.
 */
import { fileURLToPath } from "node:url";
import { allSettings, defaultText, type Group, type Setting, type SettingName } from "../services/shared/settings.js";

/** The repository, seen from dist/scripts/. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Where the tables go, relative to the repository. */
export const CONFIGURATION_DOC = "docs/configuration.md";

export const GROUP_TITLES: Record<Group, string> = {
  replica: "Server replicas (services/server)",
  broadcaster: "Broadcaster (services/broadcaster)",
  nginx: "nginx (rendered by scripts/nginx-config.ts for Compose; the stack renders the same)",
  compose: "Compose only (docker-compose.yml)",
  stack: "Local stack only (npm run stack)",
};

const WIDTH = 110;

/** The whole `.env.example`. */
export function renderEnvExample(): string {
  const lines = [
    "# Generated from services/shared/settings.ts by `npm run settings:docs`: edit the declarations, not this file.",
    "# Copy to .env and uncomment what you change. `docker compose` reads .env and passes each service the",
    "# settings it reads; `npm start` and `npm run stack` read the environment. Everything is optional: unset or",
    "# blank means the default shown.",
  ];
  for (const group of Object.keys(GROUP_TITLES) as Group[]) {
    const title = `# --- ${GROUP_TITLES[group]} `;
    lines.push("", title.padEnd(WIDTH, "-"));
    for (const [name, setting] of settingsOf(group)) {
      const computed = setting.defaultText && !("default" in setting) ? ` Default: ${setting.defaultText}.` : "";
      lines.push(...wrap(`${setting.description}${computed}`, WIDTH - 2).map((line) => `# ${line}`));
      lines.push(`#${name}=${exampleValue(setting)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The markdown table of one group. */
export function renderTable(group: Group): string {
  const rows = settingsOf(group).map(([name, setting]) =>
    [
      `\`${name}\``,
      defaultText(setting) ?? "unset",
      range(setting),
      setting.readBy.join(", "),
      setting.description,
    ].map(cell),
  );
  return [
    "| variable | default | accepts | read by | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/** The page with every `<!-- settings:GROUP -->` … `<!-- /settings:GROUP -->` block replaced by its table. */
export function renderConfigurationDoc(page: string): string {
  let out = page;
  for (const group of Object.keys(GROUP_TITLES) as Group[]) {
    const start = `<!-- settings:${group} -->`;
    const end = `<!-- /settings:${group} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from === -1 || to < from) throw new Error(`${CONFIGURATION_DOC} has no ${start} … ${end} block`);
    out = `${out.slice(0, from + start.length)}\n${renderTable(group)}\n${out.slice(to)}`;
  }
  return out;
}

function settingsOf(group: Group): [SettingName, Setting][] {
  return allSettings().filter(([, setting]) => setting.group === group);
}

function exampleValue(setting: Setting): string {
  if (setting.example !== undefined) return setting.example;
  if (setting.type === "string" && setting.secret) return "";
  return "default" in setting && setting.default !== undefined ? String(setting.default) : "";
}

function range(setting: Setting): string {
  switch (setting.type) {
    case "integer":
      return `${setting.min}–${setting.max}`;
    case "enum":
      return setting.values.map((value) => `\`${value}\``).join(", ");
    case "list":
      return "comma-separated";
    case "url":
      return setting.protocols.map((protocol) => `\`${protocol}//\``).join(", ");
    case "string":
      return setting.secret ? "text (secret, or a file: `_FILE`)" : "text";
  }
}

/** Pipes would end a markdown table cell early. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
