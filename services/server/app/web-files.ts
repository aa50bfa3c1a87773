import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** web/ (the page and its style), beside dist/ in a checkout and in the image. */
const WEB_DIR = fileURLToPath(new URL("../../../../web/", import.meta.url));
/** web/demo.ts compiled by tsconfig.web.json. */
const WEB_BUILD_DIR = fileURLToPath(new URL("../../../web-build/web/", import.meta.url));
/** dist/client, next to dist/services, where the build puts the client library. */
const CLIENT_DIR = fileURLToPath(new URL("../../../client/", import.meta.url));

/**
 * The page's policy: scripts, styles and connections from this origin only, nothing inline, no framing.
 * @see https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP
 */
export const DEMO_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // 'self' covers ws:// and wss:// to this host too (CSP Level 3).
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface WebFiles {
  /** Path (`/`, `/demo.js`, `/client/index.js`, ...) to its body and content type. */
  get(path: string): { body: string; type: string } | undefined;
}

/**
 * Everything the demo page loads, read once at start. Browsers have no module resolution: the client library's
 * one bare import, `socket.io-client`, is pointed at Socket.IO's own client build as it is served (with msgpack,
 * at client/io-global.ts, which loads the msgpack bundle), so the page needs no inline import map and its
 * policy can stay `script-src 'self'`.
 */
export function loadWebFiles(parser: "default" | "msgpack"): WebFiles {
  const socketIoClient = parser === "msgpack" ? "/client/io-global.js" : "/socket.io/socket.io.esm.min.js";
  const files = new Map<string, { body: string; type: string }>([
    ["/", { body: readFileSync(join(WEB_DIR, "index.html"), "utf8"), type: "text/html; charset=utf-8" }],
    ["/demo.css", { body: readFileSync(join(WEB_DIR, "demo.css"), "utf8"), type: "text/css; charset=utf-8" }],
    ["/demo.js", { body: readFileSync(join(WEB_BUILD_DIR, "demo.js"), "utf8"), type: JS }],
  ]);
  for (const name of readdirSync(CLIENT_DIR).filter((file) => file.endsWith(".js"))) {
    const source = readFileSync(join(CLIENT_DIR, name), "utf8");
    files.set(`/client/${name}`, {
      body: source.replaceAll('from "socket.io-client"', `from "${socketIoClient}"`),
      type: JS,
    });
  }
  return { get: (path) => files.get(path) };
}

const JS = "text/javascript; charset=utf-8";
