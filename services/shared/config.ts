/**
 * Environment parsing that collects every problem before failing, so a misconfigured deployment is fixed in
 * one round trip instead of one variable at a time. Names, defaults and bounds come from the declarations in
 * settings.ts, so a reader cannot disagree with the docs generated from them.
 *
 * ```ts
 * const read = new EnvReader(process.env);
 * const config = { port: read.integer("PORT"), workers: read.integer("WORKERS", availableParallelism()) };
 * read.assertValid(); // throws ConfigError listing every problem
 * ```
 */
import {
  RETIRED_SETTINGS,
  SETTINGS,
  type EnumName,
  type EnumSetting,
  type IntegerSetting,
  type StringSetting,
  type UrlSetting,
  type EnumValue,
  type IntegerName,
  type ListName,
  type SettingName,
  type StringName,
  type StringWithDefault,
  type UrlName,
} from "./settings.js";

/** Exit code for a configuration error (sysexits.h EX_CONFIG): a restart will not help. */
export const EX_CONFIG = 78;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {
    for (const [name, message] of Object.entries(RETIRED_SETTINGS)) {
      this.check(this.env[name] === undefined || this.env[name].trim() === "", message);
    }
  }

  /** The trimmed value, or `undefined` when unset or blank (Compose passes `VAR=` as an empty string). */
  raw(name: SettingName): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  /** The value, else `fallback` (a default computed at start: the hostname), else the declared default. */
  string(name: StringWithDefault, fallback?: string): string;
  string(name: StringName, fallback: string): string;
  string(name: StringName): string | undefined;
  string(name: StringName, fallback?: string): string | undefined {
    const declared: StringSetting = SETTINGS[name];
    return this.raw(name) ?? fallback ?? declared.default;
  }

  /** Bounds from the declaration; `fallback` overrides the declared default (the CPU count). */
  integer(name: IntegerName, fallback?: number): number {
    const setting: IntegerSetting = SETTINGS[name];
    const byDefault = fallback ?? setting.default;
    if (byDefault === undefined) throw new Error(`${name} has no declared default: pass one`);
    const value = this.raw(name);
    if (value === undefined) return byDefault;
    if (!/^-?\d+$/.test(value)) {
      this.problems.push(`${name} must be an integer, got "${value}"`);
      return byDefault;
    }
    const parsed = Number(value);
    if (parsed < setting.min || parsed > setting.max) {
      this.problems.push(`${name} must be between ${setting.min} and ${setting.max}, got ${parsed}`);
      return byDefault;
    }
    return parsed;
  }

  oneOf<N extends EnumName>(name: N): EnumValue<N> {
    const setting: EnumSetting = SETTINGS[name];
    const value = this.raw(name);
    if (value === undefined) return setting.default as EnumValue<N>;
    if (!setting.values.includes(value)) {
      this.problems.push(`${name} must be one of ${setting.values.join(", ")}, got "${value}"`);
      return setting.default as EnumValue<N>;
    }
    return value as EnumValue<N>;
  }

  /** A comma-separated list; blank entries are dropped. */
  list(name: ListName): string[] {
    return (this.raw(name) ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  /** An absolute URL whose protocol is one of the declared ones (e.g. `redis:` and `rediss:`). */
  url(name: UrlName): string | undefined {
    const { protocols }: UrlSetting = SETTINGS[name];
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problems.push(`${name} must be a URL, got "${redact(value)}"`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problems.push(`${name} must use ${protocols.join(" or ")}, got "${parsed.protocol}"`);
      return undefined;
    }
    return value;
  }

  /** Records a problem found by a rule that spans several variables. */
  check(ok: boolean, problem: string): void {
    if (!ok) this.problems.push(problem);
  }

  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Hides a password in a URL before it reaches a log line or an error message. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, "//$1:***@");
}
