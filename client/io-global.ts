/**
 * For a page served with SOCKET_PARSER=msgpack: Socket.IO's msgpack bundle is a classic script that defines a
 * global `io`; the workers serve the client library with its `socket.io-client` import pointed here
 * (services/server/app/web-files.ts), so it gets that `io`.
 */
import "/socket.io/socket.io.msgpack.min.js";

export const io = (globalThis as unknown as { io: unknown }).io;
