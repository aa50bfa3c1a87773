/**
 * The typed client library: `connect(url, options?)` returns a socket.io-client Socket that resumes where it
 * left off across reconnections (see resumable-socket.ts). Exported by the package as `./client`.
 */
export { connect, type ConnectOptions, type RecoveryReport, type ResumableSocket } from "./resumable-socket.js";
export { ChannelOrder } from "./channel-order.js";
export type { ChannelSync, Position, SyncRequest, SyncResult } from "./position.js";
