import { createHash, timingSafeEqual } from "node:crypto";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { channels, report } from "../shared/instrumentation.js";
import type { Logger } from "../shared/logger.js";
import { roomKey } from "../shared/names.js";
import { parseBroadcastRequest, type BroadcastRequest } from "./broadcast-request.js";
import type { Idempotency } from "../shared/history.js";
import type { ResumablePublisher } from "../shared/resumable-publisher.js";
import { RequestLimiter } from "./request-limit.js";

export interface BroadcastApiDeps {
  /** Appends to the history and publishes (see shared/resumable-publisher.ts). */
  publisher: ResumablePublisher;
  /** Is the Redis connection up? */
  redisReady: () => boolean;
  /** Unset: `POST /broadcast` answers 503 and says how to enable it. The API is never open. */
  token: string | undefined;
  /** Largest accepted body in bytes. */
  bodyLimitBytes: number;
  /** Requests per client address: sustained per second, and at once. */
  rateLimit: { perSecond: number; burst: number };
  log: Logger;
}

/**
 * - `GET /healthz`: alive, whether Redis is connected, and its pid (the stack checks it is the one it started).
 * - `POST /broadcast` `{ event, data?, room? }` with `Authorization: Bearer <token>`:
 *   202 `{ ok: true, position }` once Redis accepted it and kept it in the history; 400 bad body, 401 bad token,
 *   413 too large, 415 not JSON, 429 over the per-address rate limit, 503 Redis down or the outcome unknown.
 *   With `Idempotency-Key: <1-255 visible ASCII characters>`, the message is published once per key (within
 *   HISTORY_TTL_MS): a retry answers 202 with the first one's position and `replayed: true`, and the key with
 *   another body answers 422.
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
 */
export function createBroadcastApi({
  publisher,
  redisReady,
  token,
  bodyLimitBytes,
  rateLimit,
  log,
}: BroadcastApiDeps): Express {
  const limiter = new RequestLimiter(rateLimit.perSecond, rateLimit.burst);
  const app = express();
  app.disable("x-powered-by");

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true, redis: redisReady() ? "ready" : "unavailable", pid: process.pid });
  });

  app.post(
    "/broadcast",
    (req, res, next) => {
      res.once("finish", () => report(channels.broadcastRequest, () => ({ status: res.statusCode })));
      if (token === undefined) {
        return void res.status(503).json({ error: "broadcast API disabled: set BROADCASTER_TOKEN to enable it" });
      }
      const address = req.socket.remoteAddress ?? "unknown";
      // Before the token check, so guessing tokens is as slow as the limit.
      if (!limiter.allow(address)) {
        return void res.status(429).set("Retry-After", "1").json({ error: "too many requests, slow down" });
      }
      // Checked before the body is read: strangers cannot make us parse anything.
      if (!bearerMatches(req.headers.authorization, token)) {
        const refused = limiter.badToken(address);
        if (refused !== undefined) log.warn("refused broadcasts with a missing or wrong token", { address, refused });
        return void res.status(401).set("WWW-Authenticate", "Bearer").json({ error: "missing or wrong bearer token" });
      }
      if (!req.is("application/json")) {
        return void res.status(415).json({ error: "Content-Type must be application/json" });
      }
      next();
    },
    express.json({ limit: bodyLimitBytes, strict: false }),
    async (req, res) => {
      const parsed = parseBroadcastRequest(req.body);
      if (!parsed.ok) return void res.status(400).json({ error: parsed.error });
      const once = idempotencyOf(req.get("idempotency-key"), parsed.value);
      if (typeof once === "string") return void res.status(400).json({ error: once });
      if (!redisReady()) return void res.status(503).json({ error: "redis unavailable, try again later" });
      const { event, data, room } = parsed.value;
      const channel = room === undefined ? undefined : roomKey(room);
      const args = data === undefined ? [] : [data];
      let published;
      try {
        published = once
          ? await publisher.emitOnce(once, channel, event, ...args)
          : { ...(await publisher.emit(channel, event, ...args)), replayed: false as const };
      } catch (err) {
        log.warn("broadcast not published", { err, event });
        // Redis may have run it and the reply been lost: only the key can tell a retry from a second message.
        const error = once
          ? "redis did not confirm the message, retry with the same Idempotency-Key"
          : "redis did not confirm the message, try again later (send an Idempotency-Key to make a retry safe)";
        return void res.status(503).json({ error });
      }
      const { channel: publishedOn, epoch, offset } = published;
      const position = { channel: publishedOn, epoch, offset };
      if (published.replayed && !published.sameRequest) {
        return void res.status(422).json({ error: "Idempotency-Key already used for a different request" });
      }
      log.debug("broadcast published", { event, room, position, replayed: published.replayed });
      res.status(202).json(published.replayed ? { ok: true, position, replayed: true } : { ok: true, position });
    },
  );

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  // body-parser's errors carry the status to answer: 400 malformed JSON, 413 too large, 415 bad charset.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error("request failed", { err });
    const message =
      err.type === "entity.parse.failed"
        ? "malformed JSON body"
        : err.type === "entity.too.large"
          ? `body larger than ${bodyLimitBytes} bytes`
          : status === 500
            ? "internal error"
            : err.message;
    res.status(status).json({ error: message });
  });

  return app;
}

/** The `Idempotency-Key` of a request, with its body's fingerprint; `undefined` without one; or what is wrong. */
export function idempotencyOf(header: string | undefined, body: BroadcastRequest): Idempotency | undefined | string {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) return "Idempotency-Key must be 1-255 visible ASCII characters";
  // parseBroadcastRequest builds `body`: the same request always has the same fields in the same order.
  const fingerprint = createHash("sha256").update(JSON.stringify(body)).digest("hex");
  return { key: header, fingerprint };
}

/** Constant-time: compares SHA-256 digests, which have equal length whatever the inputs. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? "");
  const given = createHash("sha256")
    .update(match?.[1] ?? "")
    .digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(given, expected) && match !== null;
}
