import { eventNameError, roomNameError } from "../shared/names.js";
import { payloadDepthError } from "../shared/payload.js";

/** The body of `POST /broadcast`. */
export interface BroadcastRequest {
  event: string;
  /** Any JSON value; sent as the event's single argument. Omitted: the event has no argument. */
  data?: unknown;
  /** Only the members of this room receive it. Omitted: every connected client. */
  room?: string;
}

const FIELDS = new Set(["event", "data", "room"]);

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks a parsed JSON body; the error names the first problem in words a curl user understands. */
export function parseBroadcastRequest(body: unknown): Parsed<BroadcastRequest> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, error: "body must be a JSON object { event, data?, room? }" };
  }
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) return { ok: false, error: `unknown field(s): ${unknown.join(", ")}` };

  const { event, data, room } = body as Record<string, unknown>;
  const error =
    eventNameError(event) ??
    (room === undefined ? undefined : roomNameError(room)) ??
    // Refused here, where the publisher learns it, rather than in every worker (see payload.ts).
    payloadDepthError(data, "data");
  if (error) return { ok: false, error };
  return {
    ok: true,
    value: {
      event: event as string,
      ...(data === undefined ? {} : { data }),
      ...(room === undefined ? {} : { room: room as string }),
    },
  };
}
