import { channels, report, type ClusterRequest } from "../../../shared/instrumentation.js";
import type { Identity, ServerInfo, ServersResult } from "../../../shared/events.js";
import { withTimeout } from "../../../shared/signals.js";
import type { AppServer } from "../../socket-types.js";
import type { EventContext, EventHandlers } from "./handlers.js";

/**
 * Which process a client reached, and which servers exist: the tests, the benchmark and the demo page's
 * cluster view rely on these, so a fork keeps them (and may add to them).
 */
export function diagnosticHandlers({ io, socket, log, identity, requestsTimeoutMs }: EventContext) {
  return {
    whoami: (ack: unknown) => {
      if (typeof ack !== "function") return log.debug("ignore whoami without ack", { sid: socket.id });
      ack(identity);
    },

    servers: (ack: unknown) => {
      if (typeof ack !== "function") return log.debug("ignore servers without ack", { sid: socket.id });
      const answer = ack as (result: ServersResult) => void;
      const started = performance.now();
      const done = (outcome: ClusterRequest["outcome"]) =>
        report(channels.clusterRequest, () => ({
          op: "serverSideEmitWithAck",
          seconds: (performance.now() - started) / 1000,
          outcome,
        }));
      // Waits for every other server the adapter knows of; one that is alive but hung makes it fail after the
      // adapter's requestsTimeout. Our own bound on top: while Redis is unreachable the adapter's request waits
      // in node-redis's offline queue, before its timer starts, and never answered.
      withTimeout(
        io.serverSideEmitWithAck("identify"),
        requestsTimeoutMs,
        `timeout reached (${requestsTimeoutMs} ms)`,
      ).then(
        (others) => {
          done("ok");
          answer({ ok: true, servers: [serverInfo(io, identity), ...others] });
        },
        (err: Error) => {
          done(/timeout/.test(err.message) ? "timeout" : "error");
          answer({ ok: false, error: `not every server answered: ${err.message}` });
        },
      );
    },
  } satisfies Partial<EventHandlers>;
}

/** This server as `servers` reports it. */
export function serverInfo(io: AppServer, identity: Identity): ServerInfo {
  return { ...identity, clients: io.engine.clientsCount };
}
