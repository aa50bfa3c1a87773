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
import { readFileSync } from "node:fs";
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
  type Setting,
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

  /**
   * The trimmed value, or `undefined` when unset or blank (Compose passes `VAR=` as an empty string). A secret
   * (declared `secret: true`) may come from a file instead, named by `NAME_FILE`: Docker and Swarm hand
   * secrets to a container as files (`/run/secrets/<name>`), and `_FILE` is the official images' convention
   * (POSTGRES_PASSWORD_FILE: https://docs.docker.com/engine/swarm/secrets/#build-support-for-docker-secrets-into-your-images).
   */
  raw(name: SettingName): string | undefined {
    const value = blankToUndefined(this.env[name]);
    const setting: Setting = SETTINGS[name];
    if (!("secret" in setting) || !setting.secret) return value;
    const file = blankToUndefined(this.env[`${name}_FILE`]);
    if (file === undefined) return value;
    if (value !== undefined) {
      this.problems.push(`${name} and ${name}_FILE are both set: keep one`);
      return value;
    }
    return this.fileContent(`${name}_FILE`, file);
  }

  /** The trimmed content of `path` (a secret's file); a problem when it cannot be read or is empty. */
  fileContent(variable: string, path: string): string | undefined {
    try {
      const content = blankToUndefined(readFileSync(path, "utf8"));
      if (content === undefined) this.problems.push(`${variable}: ${path} is empty`);
      return content;
    } catch (err) {
      this.problems.push(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? err})`);
      return undefined;
    }
  }

  /**
   * `REDIS_URL`, with the password in the file `REDIS_PASSWORD_FILE` names when that is set (a Swarm secret
   * that Redis reads too), in place of any password in the URL.
   */
  redisUrl(): string | undefined {
    const url = this.url("REDIS_URL");
    const file = this.raw("REDIS_PASSWORD_FILE");
    if (url === undefined || file === undefined) return url;
    const password = this.fileContent("REDIS_PASSWORD_FILE", file);
    if (password === undefined) return url;
    const parsed = new URL(url);
    parsed.password = encodeURIComponent(password);
    return parsed.toString();
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

function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

/** Hides a password in a URL before it reaches a log line or an error message. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, "//$1:***@");
}
