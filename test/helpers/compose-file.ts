/**
 * Reading Compose and stack files against services/shared/settings.ts (test/services/shared/settings-compose,
 * test/deploy/swarm/stack-file).
 */
import type { Setting } from "../../services/shared/settings.js";

/** Every `${NAME}` / `${NAME:-default}` in a Compose file, nested defaults read to their closing brace. */
export function interpolations(source: string): { name: string; fallback: string | undefined }[] {
  const found: { name: string; fallback: string | undefined }[] = [];
  const start = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)?/g;
  for (let match = start.exec(source); match !== null; match = start.exec(source)) {
    let depth = 1;
    let end = start.lastIndex;
    for (; end < source.length && depth > 0; end++) {
      if (source[end] === "{") depth++;
      if (source[end] === "}") depth--;
    }
    found.push({ name: match[1]!, fallback: match[2] ? source.slice(start.lastIndex, end - 1) : undefined });
  }
  return found;
}

/** What `${NAME:-…}` must fall back to in a Compose file: the setting's `composeDefault`, else its default. */
export function composeFallback(setting: Setting): string | undefined {
  return setting.composeDefault ?? ("default" in setting ? String(setting.default) : undefined);
}
