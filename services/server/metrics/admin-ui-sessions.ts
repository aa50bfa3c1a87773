import { InMemoryStore } from "@socket.io/admin-ui";
import type { Namespace } from "socket.io";
import type { RedisClient } from "../../shared/redis.js";

/** How long a login lasts (the Admin UI's session id), in seconds. */
const SESSION_SECONDS = 86_400;

const key = (sessionId: string) => `socket.io-admin#${sessionId}`;

/**
 * The Admin UI's session store on node-redis 4 (its own RedisStore speaks the callback API of older clients),
 * so that a UI that reconnects to another worker, of any replica, stays logged in.
 * Built on InMemoryStore only because the package does not export its abstract Store; nothing is kept in memory
 * but the saves still under way.
 */
export class RedisSessionStore extends InMemoryStore {
  /** Each session's SET until Redis has answered it: true once stored, false if it failed. */
  private readonly saving = new Map<string, Promise<boolean>>();

  constructor(private readonly redis: RedisClient) {
    super();
  }

  /**
   * False, not a rejection, when Redis cannot answer: the package's middleware does not catch, and its rejected
   * promise would end the worker (an unhandled rejection). The UI then asks for the password again.
   */
  override async doesSessionExist(sessionId: string): Promise<boolean> {
    try {
      return (await this.redis.exists(key(sessionId))) === 1;
    } catch {
      return false;
    }
  }

  override saveSession(sessionId: string): void {
    const saved = this.redis.set(key(sessionId), "1", { EX: SESSION_SECONDS }).then(
      () => true,
      () => false,
    );
    this.saving.set(sessionId, saved);
    void saved.then(() => this.saving.delete(sessionId));
  }

  /** Resolves once the session is in Redis (true), or its SET failed (false); true for one not being saved. */
  saved(sessionId: string): Promise<boolean> {
    return this.saving.get(sessionId) ?? Promise.resolve(true);
  }
}

/**
 * Runs `instrument` (which registers the Admin UI's middleware on `admin`) with the `session` event of a login
 * held until its id is in Redis, and dropped if the save failed.
 *
 * Why: the package's middleware calls `store.saveSession(id)` without awaiting it and emits `session` at once
 * (before even the CONNECT packet), so a UI that reconnects to another worker right away could present the id
 * before Redis has it, and be refused `invalid credentials` (a shuffled CI run did: the login's worker was slow
 * to reach Redis). The login itself goes on at once; only the id waits.
 * @see https://github.com/socketio/socket.io-admin-ui/blob/0.5.1/lib/index.ts (initAuthenticationMiddleware)
 */
export function holdSessionsUntilSaved(admin: Namespace, store: RedisSessionStore, instrument: () => void): void {
  // Before the package's middleware: this socket's emit, an own property over the prototype's, holds `session`.
  admin.use((socket, next) => {
    const emit = socket.emit.bind(socket);
    socket.emit = (event: string, ...args: unknown[]) => {
      if (event !== "session" || typeof args[0] !== "string") return emit(event, ...args);
      const sessionId = args[0];
      void store.saved(sessionId).then((stored) => stored && emit(event, sessionId));
      return true;
    };
    next();
  });
  instrument();
  // After it (reached only once the socket is let in): the prototype's emit again.
  admin.use((socket, next) => {
    Reflect.deleteProperty(socket, "emit");
    next();
  });
}
