import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { instrument, InMemoryStore } from "@socket.io/admin-ui";
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

/** How long a login lasts (the Admin UI's session id), in seconds. */
const SESSION_SECONDS = 86_400;

/**
 * The Socket.IO Admin UI's server side on this worker: the `/admin` namespace, read-only, each worker a server
 * of its own (`replica#worker`). With the Redis adapter, the UI connected to one worker sees every worker of
 * every replica, and their sockets. Sessions (after a login) live in Redis when there is one.
 * @see https://socket.io/docs/v4/admin-ui/
 */
export function useAdminUi(io: AppServer, identity: Identity, options: AdminUiOptions): void {
  instrument(io as never, {
    auth:
      options.mode === "on-without-auth"
        ? false
        : { type: "basic", username: options.username, password: options.passwordHash! },
    serverId: `${identity.replica}#${identity.worker}`,
    readonly: true,
    mode: options.detail === "sockets" ? "development" : "production",
    store: options.redis ? new RedisSessionStore(options.redis) : new InMemoryStore(),
  });
}

/**
 * The Admin UI's session store on node-redis 4 (its own RedisStore speaks the callback API of older clients).
 * Built on InMemoryStore only because the package does not export its abstract Store; nothing is kept in memory.
 */
class RedisSessionStore extends InMemoryStore {
  constructor(private readonly redis: RedisClient) {
    super();
  }

  override async doesSessionExist(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(`socket.io-admin#${sessionId}`)) === 1;
  }

  override saveSession(sessionId: string): void {
    this.redis.set(`socket.io-admin#${sessionId}`, "1", { EX: SESSION_SECONDS }).catch(() => undefined);
  }
}

/** The Admin UI's built files, as the package ships them. */
export function adminUiDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@socket.io/admin-ui/package.json")), "ui", "dist");
}
