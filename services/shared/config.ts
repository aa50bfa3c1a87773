/**
 * Environment parsing that collects every problem before failing, so a misconfigured deployment is fixed in
 * one round trip instead of one variable at a time.
 *
 * ```ts
 * const env = new EnvReader(process.env);
 * const config = { port: env.integer("PORT", 3000, { min: 1, max: 65535 }) };
 * env.assertValid(); // throws ConfigError listing every problem
 * ```
 */

/** Exit code for a configuration error (sysexits.h EX_CONFIG): a restart will not help. */
export const EX_CONFIG = 78;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export interface IntegerRange {
  min?: number;
  max?: number;
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** The trimmed value, or `undefined` when unset or blank (Compose passes `VAR=` as an empty string). */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER }: IntegerRange = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.problems.push(`${name} must be an integer, got "${value}"`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      this.problems.push(`${name} must be between ${min} and ${max}, got ${parsed}`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(", ")}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  /** A comma-separated list; blank entries are dropped. */
  list(name: string): string[] {
    return (this.raw(name) ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  /** An absolute URL whose protocol is one of `protocols` (e.g. `["redis:", "rediss:"]`). */
  url(name: string, protocols: readonly string[]): string | undefined {
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
