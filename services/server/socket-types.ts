import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "../shared/events.js";

/**
 * The Socket.IO server and socket typed by the event contract (services/shared/events.ts). Shared by the
 * cluster plumbing, the delivery layer and the application, so that none of them imports another for a type.
 */
export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
