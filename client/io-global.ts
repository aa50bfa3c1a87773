/**
 * For a page served with SOCKET_PARSER=msgpack: Socket.IO's msgpack bundle is a classic script that defines a
 * global `io`; the page's import map points `socket.io-client` here, so the client library gets that `io`.
 */
import "/socket.io/socket.io.msgpack.min.js";

export const io = (globalThis as unknown as { io: unknown }).io;
