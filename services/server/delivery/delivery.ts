import type { History } from "../../shared/history.js";
import type { Position } from "../../shared/position.js";
import type { ResumablePublisher } from "../../shared/resumable-publisher.js";
import type { AppServer } from "../socket-types.js";

/**
 * How a worker publishes to a room or to everyone. Handlers call this, never `io.to(room).emit`, so that what
 * they publish is kept for clients that come back.
 */
export interface Delivery {
  /** Publishes to `room` (a Socket.IO room), or to everyone; with history, resolves with the position. */
  publish(room: string | undefined, event: string, ...args: unknown[]): Promise<Position | undefined>;
  /** The channel's position now (`"*"` or a Socket.IO room); undefined without history. */
  position(channel: string): Promise<Position | undefined>;
  /** The history, for `sync`; undefined when none is kept (no Redis). */
  history: History | undefined;
}

/** With Redis: appended to the channel's history and published in one step, every member (the sender too) gets it. */
export function resumableDelivery(history: History, publisher: ResumablePublisher): Delivery {
  return {
    publish: (room, event, ...args) => publisher.emit(room, event, ...args),
    position: async (channel) => {
      const { epoch, top } = await history.read(channel);
      return { channel, epoch, offset: top };
    },
    history,
  };
}

/** Without Redis (`npm start`, the cluster adapter): live only, nothing to resume. */
export function liveDelivery(io: AppServer): Delivery {
  return {
    publish: (room, event, ...args) => {
      const target = (room === undefined ? io : io.to(room)) as unknown as {
        emit(e: string, ...a: unknown[]): boolean;
      };
      target.emit(event, ...args);
      return Promise.resolve(undefined);
    },
    position: () => Promise.resolve(undefined),
    history: undefined,
  };
}
