import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Identity } from "../../shared/events.js";
import type { Logger } from "../../shared/logger.js";
import { DEMO_PAGE_CSP, loadWebFiles } from "./web-files.js";

export interface Readiness {
  ready: boolean;
  /** Why the process is not ready, for humans and load balancers' logs. */
  reason?: string;
}

export interface HttpAppDeps {
  identity: Identity;
  log: Logger;
  /** Asked on every `GET /readyz`. */
  readiness: () => Readiness;
  /** Which Socket.IO client bundle the demo page loads. @default "default" */
  parser?: "default" | "msgpack";
  /** The Socket.IO Admin UI's built page, served at `/admin/` when given. @default none */
  adminUiDirectory?: string;
}

/**
 * The Admin UI page's own policy: its built scripts and styles are files, but it styles elements inline and
 * loads its fonts from Google Fonts and jsDelivr; it talks Socket.IO to this origin.
 */
const ADMIN_UI_CSP =
  "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://cdn.jsdelivr.net; " +
  "font-src https://fonts.gstatic.com https://cdn.jsdelivr.net; frame-ancestors 'none'";

/**
 * The HTTP side of a worker. Socket.IO answers `/socket.io/` before express sees the request.
 * - `GET /healthz`: the process is alive (200 always).
 * - `GET /readyz`: 200 when the adapter is connected and the process is not draining, 503 otherwise; with the
 *   identity and the primary's pid.
 * - `GET /`, `/demo.css`, `/demo.js`: the demo page (web/); `/client/*.js`: the client library it uses.
 * - `GET /admin/`: the Socket.IO Admin UI, when `ADMIN_UI` is on.
 */
export function createHttpApp({
  identity,
  log,
  readiness,
  parser = "default",
  adminUiDirectory,
}: HttpAppDeps): Express {
  const web = loadWebFiles(parser);
  const app = express();
  app.disable("x-powered-by");

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true, ...identity });
  });

  app.get("/readyz", (_req, res) => {
    const state = readiness();
    // primaryPid: the replica's primary, so that whoever started it can tell it answers, not another server
    // on that port.
    res.status(state.ready ? 200 : 503).json({ ...state, ...identity, primaryPid: process.ppid });
  });

  // The demo page and the client library (compiled from client/), for the demo page and any page of yours.
  app.get(["/", "/demo.css", "/demo.js", "/client/:file"], (req, res, next) => {
    const file = web.get(req.path);
    if (!file) return next();
    if (req.path === "/") res.set("Content-Security-Policy", DEMO_PAGE_CSP);
    res.type(file.type).send(file.body);
  });

  if (adminUiDirectory) {
    // `/admin` is redirected to `/admin/` by express.static itself (a directory).
    app.use(
      "/admin",
      express.static(adminUiDirectory, { setHeaders: (res) => res.setHeader("Content-Security-Policy", ADMIN_UI_CSP) }),
    );
  }

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  // Express 5 forwards thrown and rejected errors here; answer in JSON instead of an HTML stack trace.
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 600 ? err.status : 500;
    if (status >= 500) log.error("request failed", { err });
    res.status(status).json({ error: status >= 500 ? "internal error" : err.message });
  });

  return app;
}
