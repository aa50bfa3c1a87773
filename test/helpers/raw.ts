/**
 * Requests as a hostile client sends them: any header (Host, Origin, Content-Length on an upgrade), any source
 * address, raw bytes over TCP, and Socket.IO packets typed by hand over a WebSocket.
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import WebSocket from "ws";
import { within } from "./wait.js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with full control over headers and the source address. */
export function send(
  url: string,
  {
    method = "GET",
    headers = {},
    body,
    localAddress,
  }: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  return within(
    new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(url, { method, headers, ...(localAddress ? { localAddress } : {}) }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    }),
    10_000,
    `${method} ${url}`,
  );
}

/** Writes `head` (a whole request, CRLFs included) on a new TCP connection; resolves with the status line's code and the rest. */
export function sendRaw(url: string, head: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return within(
    new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.write(head));
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        text += chunk;
        // The connection may stay open (a 101, or a kept-alive 400): a whole response is enough.
        const headEnd = text.indexOf("\r\n\r\n");
        if (headEnd === -1) return;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
        if (/^HTTP\/1\.1 101 /.test(text) || text.length >= headEnd + 4 + length) socket.destroy();
      });
      socket.on("error", reject);
      socket.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    }),
    10_000,
    `raw request to ${url}`,
  );
}

/** The head of a WebSocket upgrade to Engine.IO, with `extra` header lines. */
export function upgradeHead(url: string, extra: string[] = []): string {
  const { host } = new URL(url);
  return [
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...extra,
    "",
    "",
  ].join("\r\n");
}

export interface RawSocketIo {
  ws: WebSocket;
  /** Every text frame received, in order. */
  messages: string[];
  /** Resolves with the close code. */
  closed: Promise<number>;
  /** Resolves with the first received frame (`index` in `messages`) that satisfies `match`. */
  next(match: (message: string, index: number) => boolean, what: string): Promise<string>;
}

/** A WebSocket to Engine.IO v4; resolves once the open packet arrived. Socket.IO packets are then sent by hand. */
export async function openRawSocketIo(
  baseUrl: string,
  { localAddress, origin, query = "" }: { localAddress?: string; origin?: string; query?: string } = {},
): Promise<RawSocketIo> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket${query}`, {
    ...(localAddress ? { localAddress } : {}),
    ...(origin ? { origin } : {}),
  });
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    const text = String(data);
    // Engine.IO ping: answer, as a client must, or the server closes the connection.
    if (text === "2") ws.send("3");
    messages.push(text);
    for (const waiter of waiters) waiter();
  });
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  const next = (match: (message: string, index: number) => boolean, what: string) =>
    within(
      new Promise<string>((resolve) => {
        const check = () => {
          const found = messages.find(match);
          if (found === undefined) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      }),
      10_000,
      what,
    );
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    }),
    10_000,
    "WebSocket open",
  );
  await next((m) => m.startsWith('0{"sid":'), "the Engine.IO open packet");
  return { ws, messages, closed, next };
}
