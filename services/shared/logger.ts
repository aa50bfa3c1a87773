/**
 * Structured logs: one JSON object per line on stdout (what Docker, Loki, or `jq` expect), a short human
 * form when stdout is a terminal. Every line carries the bindings given at creation (service, replica,
 * worker, pid), so the interleaved output of a cluster can still be told apart.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger whose lines also carry `bindings`. */
  child(bindings: Fields): Logger;
}

export interface LoggerOptions {
  /** @default "info" */
  level?: LogLevel;
  /** @default process.stdout.isTTY (human-readable lines on a terminal, JSON otherwise) */
  pretty?: boolean;
  /** @default process.stdout */
  stream?: { write(line: string): unknown };
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(bindings: Fields, options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const stream = options.stream ?? process.stdout;
  const pretty = options.pretty ?? process.stdout.isTTY === true;

  const write = (lineLevel: Exclude<LogLevel, "silent">, msg: string, fields: Fields = {}) => {
    if (RANK[lineLevel] < RANK[level]) return;
    const record = { time: new Date().toISOString(), level: lineLevel, ...bindings, msg, ...serialize(fields) };
    stream.write((pretty ? formatPretty(record) : JSON.stringify(record)) + "\n");
  };

  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (more) => createLogger({ ...bindings, ...more }, { level, pretty, stream }),
  };
}

/** Errors do not survive `JSON.stringify`; keep what helps an operator. */
function serialize(fields: Fields): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { name: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) }
        : value;
  }
  return out;
}

function formatPretty(record: Fields): string {
  const { time, level, msg, service, replica, worker, pid, ...rest } = record;
  const who = [service, replica, worker === undefined ? undefined : `w${String(worker)}`, pid]
    .filter((part) => part !== undefined)
    .join("/");
  const extra = Object.keys(rest).length > 0 ? " " + JSON.stringify(rest) : "";
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} [${who}] ${String(msg)}${extra}`;
}
