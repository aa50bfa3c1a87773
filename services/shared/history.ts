import { createHash, randomBytes } from "node:crypto";
import type { EnvReader } from "./config.js";
import { isProvisional } from "./position.js";
import type { RedisClient } from "./redis.js";
import { SETTINGS } from "./settings.js";

export interface HistoryOptions {
  /** Prefix of the keys, the same as the adapter's channels. @default "socket.io" */
  key: string;
  /** `HISTORY_SIZE`: messages kept per channel. @default 1000 */
  size: number;
  /** `HISTORY_TTL_MS`: how long a message is kept (and so the longest gap a client can recover). @default 300000 */
  ttlMs: number;
  /**
   * How long a channel's epoch and last offset outlive its last message. Past it the channel starts a new
   * epoch, and a client that still holds a position in the old one is told it cannot be recovered.
   * @default 86400000 (a day)
   */
  metaTtlMs?: number;
}

export const DEFAULT_HISTORY = {
  size: SETTINGS.HISTORY_SIZE.default,
  ttlMs: SETTINGS.HISTORY_TTL_MS.default,
} as const;

/** `HISTORY_SIZE` and `HISTORY_TTL_MS`, read the same way by the servers and the broadcaster. */
export function readHistoryConfig(read: EnvReader): { size: number; ttlMs: number } {
  return { size: read.integer("HISTORY_SIZE"), ttlMs: read.integer("HISTORY_TTL_MS") };
}

/** A channel's history, as read at one moment. */
export interface HistoryRead {
  /**
   * The channel's life (its epoch); or, when nothing was published on it yet in this life of Redis (or its
   * metadata expired), a provisional epoch `~<generation>@<time>` naming this moment (see isProvisional() in
   * position.ts).
   */
  epoch: string;
  /** Where the current life began, as a provisional epoch (`undefined`: a life created before this was kept). */
  born: string | undefined;
  /** The last offset published (0 when none). */
  top: number;
  /** The messages after the offset asked for, in order, as published on Redis; `undefined` when some of them
   * are no longer kept (trimmed by size or age). */
  entries: Buffer[] | undefined;
}

/**
 * Whether a client that saw nothing of a channel as of `seen` (a provisional epoch) has missed no life of it
 * up to the channel's current one, born as of `born`: the same generation of Redis's data (the one that could
 * have held what it missed still does), and less than the metadata's lifetime apart (a whole life of the
 * channel, created and expired in between, would take longer).
 */
export function continues(seen: string | null, born: string | undefined, metaTtlMs: number): boolean {
  if (seen === null || born === undefined || !isProvisional(seen) || !isProvisional(born)) return false;
  const [seenGeneration, seenAt] = seen.slice(1).split("@");
  const [bornGeneration, bornAt] = born.slice(1).split("@");
  if (seenGeneration !== bornGeneration) return false;
  const apart = Number(bornAt) - Number(seenAt);
  return Number.isFinite(apart) && apart >= 0 && apart < metaTtlMs;
}

/** Lua: `now`, Redis's clock in whole milliseconds. */
const NOW_MS = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/**
 * Lua: `gen`, the generation of Redis's data (the key `generation`), set to `candidate` (a fresh random id
 * from the caller) when Redis has none, i.e. it restarted empty. A fresh id per call: a process proposing the
 * same one twice would make two lives of Redis's data look like one.
 */
const generationOf = (candidate: string) => `local gen = redis.call('GET', generation)
if not gen then
  gen = ${candidate}
  redis.call('SET', generation, gen)
end`;

/**
 * Appends and publishes in one step, inside Redis: the next offset of the channel, the message with its
 * position spliced in (`prefix` + `{ "~pos": [channel, epoch, offset, publishedAt] }` + `suffix`, see position.ts), kept in
 * the channel's bounded history and PUBLISHed. A script runs alone, so the order of offsets is the order in
 * which subscribers receive the messages, and a message is never in the history without having been
 * published, nor published without its place in the history.
 *
 * With an idempotency key (KEYS[5]), a message already appended under that key within HISTORY_TTL_MS is not
 * appended again: the script answers the first one's position and fingerprint instead. That is what makes a
 * retry safe when Redis ran the script but its reply was lost (Redis stopping, a connection cut): the caller
 * cannot tell that from "not run", and retrying without a key would publish the message twice.
 * @see https://redis.io/docs/latest/develop/interact/programmability/eval-intro/ (atomicity, cmsgpack)
 */
const APPEND = `
local meta, messages, times, generation, once = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local size, ttl, metaTtl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
if once then
  local seen = redis.call('HMGET', once, 'fingerprint', 'epoch', 'offset')
  if seen[1] then return {seen[2], tonumber(seen[3]), seen[1]} end
end
${NOW_MS}
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  epoch = ARGV[8]
  ${generationOf("ARGV[10]")}
  redis.call('HSET', meta, 'epoch', epoch, 'born', '~' .. gen .. '@' .. now)
end
local offset = redis.call('HINCRBY', meta, 'top', 1)
local message = ARGV[1] .. cmsgpack.pack({['~pos'] = {ARGV[4], epoch, offset, now}}) .. ARGV[2]
redis.call('RPUSH', messages, message)
redis.call('RPUSH', times, now)
redis.call('LTRIM', messages, -size, -1)
redis.call('LTRIM', times, -size, -1)
while true do
  local oldest = redis.call('LINDEX', times, 0)
  if not oldest or tonumber(oldest) >= now - ttl then break end
  redis.call('LPOP', messages)
  redis.call('LPOP', times)
end
redis.call('PEXPIRE', messages, ttl)
redis.call('PEXPIRE', times, ttl)
redis.call('PEXPIRE', meta, metaTtl)
redis.call('PUBLISH', ARGV[3], message)
if once then
  redis.call('HSET', once, 'fingerprint', ARGV[9], 'epoch', epoch, 'offset', offset)
  redis.call('PEXPIRE', once, ttl)
end
return {epoch, offset}
`;

/**
 * The channel's epoch, where its life began and its top offset, and the messages after \`ARGV[1]\` if every one
 * of them is still kept. Read in one step, so the messages are exactly those up to \`top\`. With no life yet, a
 * provisional epoch naming Redis's generation (created here if Redis has none: it restarted empty) and now.
 */
const READ = `
local meta, messages, generation = KEYS[1], KEYS[2], KEYS[3]
local epoch, born, top = unpack(redis.call('HMGET', meta, 'epoch', 'born', 'top'))
if not epoch then
  ${generationOf("ARGV[2]")}
  ${NOW_MS}
  return {'~' .. gen .. '@' .. now}
end
top = tonumber(top)
born = born or ''
if ARGV[1] == '' then return {epoch, born, top} end
local after = tonumber(ARGV[1])
if after >= top then return {epoch, born, top, {}} end
local first = top - redis.call('LLEN', messages) + 1
if after + 1 < first then return {epoch, born, top} end
return {epoch, born, top, redis.call('LRANGE', messages, after + 1 - first, -1)}
`;

/** Publish this message once per key: what makes a retry after an unknown outcome safe. */
export interface Idempotency {
  /** Chosen by the publisher, the same on every retry of one message (`Idempotency-Key`). */
  key: string;
  /** A digest of the request: the same key with another request is the caller's mistake, not a retry. */
  fingerprint: string;
}

/** Where an append put the message; `replayed`: it had been appended before under the same key, not now. */
export type Appended =
  | { epoch: string; offset: number; replayed: false }
  | { epoch: string; offset: number; replayed: true; sameRequest: boolean };

/** The bounded, per-channel history of published messages, in Redis. */
export class History {
  /** See HistoryOptions.metaTtlMs. */
  readonly metaTtlMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: HistoryOptions,
  ) {
    this.metaTtlMs = options.metaTtlMs ?? 86_400_000;
  }

  /**
   * Appends the message (`prefix` + position + `suffix`) and publishes it on `pubsubChannel`. With `once`, only
   * if no message was appended under `once.key` on this channel yet; otherwise nothing is published and the
   * answer is the first one's position, with `replayed` and whether its fingerprint was the same.
   */
  async append(
    channel: string,
    pubsubChannel: string,
    prefix: Buffer,
    suffix: Buffer,
    once?: Idempotency,
  ): Promise<Appended> {
    const keys = [...this.keys(channel), this.generationKey()];
    if (once) keys.push(this.onceKey(channel, once.key));
    const [epoch, offset, fingerprint] = (await this.script(APPEND, keys, [
      prefix,
      suffix,
      pubsubChannel,
      channel,
      String(this.options.size),
      String(this.options.ttlMs),
      String(this.metaTtlMs),
      randomBytes(6).toString("base64url"),
      once?.fingerprint ?? "",
      randomBytes(6).toString("base64url"),
    ])) as [string, number, string?];
    if (fingerprint === undefined) return { epoch, offset, replayed: false };
    return { epoch, offset, replayed: true, sameRequest: fingerprint === once!.fingerprint };
  }

  /** The channel's position now, and with `after`, the messages published since, when they are all kept. */
  async read(channel: string, after?: number): Promise<HistoryRead> {
    const [meta, messages] = this.keys(channel);
    const args = [after === undefined ? "" : String(after), randomBytes(6).toString("base64url")];
    const result = (await this.script(READ, [meta!, messages!, this.generationKey()], args, true)) as [
      Buffer,
      Buffer?,
      number?,
      Buffer[]?,
    ];
    if (result.length === 1) {
      const epoch = result[0].toString();
      return { epoch, born: epoch, top: 0, entries: after === undefined || after === 0 ? [] : undefined };
    }
    const born = result[1]!.toString();
    return { epoch: result[0].toString(), born: born === "" ? undefined : born, top: result[2]!, entries: result[3] };
  }

  /** Whether a client that saw nothing of the channel as of `seen` missed no life of it up to `read`'s: continues(). */
  continues(seen: string | null, read: HistoryRead): boolean {
    return continues(seen, read.born, this.metaTtlMs);
  }

  /** Names one life of Redis's data: gone when Redis restarted empty (see isProvisional()). No expiry. */
  private generationKey(): string {
    return `${this.options.key}:history:generation`;
  }

  private keys(channel: string): string[] {
    const base = `${this.options.key}:history:${channel}`;
    return [`${base}:meta`, `${base}:messages`, `${base}:times`];
  }

  /** Hashed: the key is any text a publisher chose, and must not set the length of a Redis key name. */
  private onceKey(channel: string, key: string): string {
    return `${this.options.key}:history:${channel}:once:${createHash("sha256").update(key).digest("hex")}`;
  }

  private readonly sha = new Map<string, string>();

  /** EVALSHA, loading the script on the first use (and again after Redis restarted empty). */
  private async script(
    source: string,
    keys: string[],
    args: Array<string | Buffer>,
    buffers = false,
  ): Promise<unknown> {
    let sha = this.sha.get(source);
    if (!sha) {
      sha = createHash("sha1").update(source).digest("hex");
      this.sha.set(source, sha);
    }
    const command = (name: string, first: string) => [name, first, String(keys.length), ...keys, ...args];
    const options = buffers ? { returnBuffers: true } : {};
    try {
      return await this.redis.sendCommand(command("EVALSHA", sha), options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return this.redis.sendCommand(command("EVAL", source), options);
    }
  }
}
