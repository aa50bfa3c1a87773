import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../shared/logger.js";
import type { AppServer } from "../socket-types.js";

/**
 * Refuses every Engine.IO request (handshake, polling GET and POST, WebSocket upgrade) whose `Origin` header is
 * not one of `allowed`, with `403 {"code":4,"message":"origin not allowed ..."}`.
 *
 * Why every request: Engine.IO's `allowRequest` runs on the handshake only, so a page on another site that
 * learned a session id could still POST into it or upgrade it. Why a list and not "the same as Host": both
 * headers come from the browser, and a DNS-rebinding page (`evil.example` resolving to this server) sends
 * `Host: evil.example` and `Origin: http://evil.example`, which matched. CORS does not cover WebSocket
 * upgrades, hence a check of our own. Clients that send no Origin (Node, curl, mobile apps) are not browsers
 * acting for a visitor, and pass.
 * @see https://socket.io/docs/v4/handling-cors/
 * @see https://socket.io/docs/v4/middlewares/ (io.engine.use: every HTTP request, upgrades included)
 */
export function checkOrigins(io: AppServer, allowed: readonly string[], log: Logger): void {
  io.engine.use((req: IncomingMessage, res: ServerResponse, next: (err?: Error) => void) => {
    const refusal = originRefusal(req.headers.origin, allowed);
    if (!refusal) return next();
    log.info("refused a request from a foreign origin", { origin: req.headers.origin, url: req.url });
    refuse(req, res, refusal);
  });
}

/** Why `origin` is refused, or `undefined` when it may pass. */
export function originRefusal(origin: string | undefined, allowed: readonly string[]): string | undefined {
  if (origin === undefined || allowed.includes(origin)) return undefined;
  return `origin not allowed: ${origin.slice(0, 100)} (add it to ALLOWED_ORIGINS)`;
}

function refuse(req: IncomingMessage, res: ServerResponse, message: string): void {
  const body = JSON.stringify({ code: 4, message });
  // An upgrade has no ServerResponse that writes (Engine.IO passes a stand-in): answer on the socket itself.
  if (req.headers.upgrade) {
    req.socket.end(
      "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    return;
  }
  res.writeHead(403, { "Content-Type": "application/json", Connection: "close" }).end(body);
}
