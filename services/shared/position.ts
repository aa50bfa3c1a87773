/**
 * The position of a message in its channel's history: declared with the client library, which browsers load
 * as it is (client/position.ts), and used by the servers from here.
 */
export * from "../../client/position.js";
