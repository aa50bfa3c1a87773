import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { instrument, InMemoryStore } from "@socket.io/admin-ui";
import type { Socket } from "socket.io";
import { holdSessionsUntilSaved, RedisSessionStore } from "./admin-ui-sessions.js";
import type { Identity } from "../../shared/events.js";
import type { RedisClient } from "../../shared/redis.js";
import type { AppServer } from "../socket-types.js";

export interface AdminUiOptions {
  /** `ADMIN_UI`: `on` (basic authentication) or `on-without-auth` (loopback only, see config.ts). */
  mode: "on" | "on-without-auth";
  /** `ADMIN_UI_DETAIL`: counts only, or every socket too (the Admin UI's development mode). */
  detail: "aggregated" | "sockets";
  /** `ADMIN_UI_USERNAME`. */
  username: string;
  /** `ADMIN_UI_PASSWORD_HASH`: a bcrypt hash, as the Admin UI compares it. */
  passwordHash: string | undefined;
  /** Where sessions are kept, so that a UI that reconnects to another worker stays logged in. @default memory */
  redis?: RedisClient;
}

/** The handshake's `connect_error` for credentials of the wrong type. */
export const MALFORMED_CREDENTIALS =
  "invalid credentials: a user name comes with a password, and each of them and the session id is a string";

/** The package's default, which the UI's page assumes. */
const ADMIN_NAMESPACE = "/admin";

/**
 * The Socket.IO Admin UI's server side on this worker: the `/admin` namespace, read-only, each worker a server
 * of its own (`replica#worker`). With the Redis adapter, the UI connected to one worker sees every worker of
 * every replica, and their sockets. Sessions (after a login) live in Redis when there is one.
 * @see https://socket.io/docs/v4/admin-ui/
 */
export function useAdminUi(io: AppServer, identity: Identity, options: AdminUiOptions): void {
  const admin = io.of(ADMIN_NAMESPACE);
  admin.use(refuseMalformedCredentials);
  const store = options.redis ? new RedisSessionStore(options.redis) : new InMemoryStore();
  const instrumentAdmin = () =>
    instrument(io as never, {
      auth:
        options.mode === "on-without-auth"
          ? false
          : { type: "basic", username: options.username, password: options.passwordHash! },
      namespaceName: ADMIN_NAMESPACE,
      serverId: `${identity.replica}#${identity.worker}`,
      readonly: true,
      mode: options.detail === "sockets" ? "development" : "production",
      store,
    });
  if (store instanceof RedisSessionStore) holdSessionsUntilSaved(admin, store, instrumentAdmin);
  else instrumentAdmin();
}

/**
 * Refuses a handshake whose credentials would make the package's middleware throw, before it sees them.
 *
 * Why: when the user name matches, it hands the password to bcrypt's `compare`, which rejects anything but a
 * string, and does not catch; its rejected promise was unhandled and ended the worker. `{ username: "admin" }`
 * or `{ username: "admin", password: 1 }` from any client that reached `/admin` (the user name is `admin`
 * unless configured) took a worker down, every time. A `null` session id stays allowed: the UI's page sends
 * one when it has none saved, and gets `invalid credentials`, which opens its login form.
 * @see https://github.com/socketio/socket.io-admin-ui/blob/0.5.1/lib/index.ts (initAuthenticationMiddleware)
 */
function refuseMalformedCredentials(socket: Socket, next: (err?: Error) => void): void {
  const { username, password, sessionId } = socket.handshake.auth as Record<string, unknown>;
  const absentOrString = (value: unknown) => value === undefined || value === null || typeof value === "string";
  const wellFormed =
    absentOrString(sessionId) &&
    absentOrString(username) &&
    (username === undefined || username === null || typeof password === "string");
  if (!wellFormed) return next(new Error(MALFORMED_CREDENTIALS));
  next();
}

/** The Admin UI's built files, as the package ships them. */
export function adminUiDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@socket.io/admin-ui/package.json")), "ui", "dist");
}
