import { channels, report } from "../../shared/instrumentation.js";
import { jwtVerify, type JWTPayload } from "jose";
import type { User } from "../../shared/events.js";
import type { Logger } from "../../shared/logger.js";
import type { AppServer, AppSocket } from "../socket-types.js";

export interface AuthOptions {
  /** `AUTH_JWT_SECRET`: HS256 key; setting it turns authentication on. */
  secret: string;
  /** `AUTH_JWT_ISSUER` / `AUTH_JWT_AUDIENCE`: required claims when set. */
  issuer?: string;
  audience?: string;
}

/**
 * Handshake authentication: the client sends `io(url, { auth: { token } })`, a JWT signed with HS256, and is
 * refused with a `connect_error` ("unauthorized: ...") unless it verifies. This is the place to plug in your
 * own auth (sessions, OAuth introspection, asymmetric keys with `createRemoteJWKSet`): keep the shape,
 * set `socket.data.user`, and `mayJoin()` below keeps room checks in the same place.
 * @see https://socket.io/docs/v4/middlewares/#sending-credentials
 */
export function useAuth(io: AppServer, options: AuthOptions, log: Logger): void {
  const key = new TextEncoder().encode(options.secret);
  io.use(async (socket, next) => {
    const token: unknown = socket.handshake.auth.token;
    if (typeof token !== "string" || token === "") {
      report(channels.connectRefused, () => ({ reason: "unauthorized" }));
      return next(new Error("unauthorized: missing auth.token"));
    }
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["HS256"],
        // A token without an expiry would be good forever, whoever copied it.
        requiredClaims: ["exp"],
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
      });
      socket.data.user = toUser(payload);
      next();
    } catch (err) {
      log.info("refused handshake", { reason: (err as Error).message, address: socket.handshake.address });
      report(channels.connectRefused, () => ({ reason: "unauthorized" }));
      next(new Error("unauthorized: invalid token"));
    }
  });
}

function toUser(payload: JWTPayload): User {
  if (typeof payload.sub !== "string") throw new Error("token has no sub");
  const rooms = payload.rooms;
  if (rooms !== undefined && !(Array.isArray(rooms) && rooms.every((room) => typeof room === "string"))) {
    throw new Error("rooms claim must be an array of strings");
  }
  return { id: payload.sub, ...(rooms ? { rooms: rooms as string[] } : {}) };
}

/** Room membership rule: a user whose token lists rooms may join only those. */
export function mayJoin(socket: AppSocket, room: string): boolean {
  const rooms = socket.data.user?.rooms;
  return rooms === undefined || rooms.includes(room);
}
