/**
 * Bounds on the shape of data that enters the system: the broadcaster's `data`, and every argument of a client's
 * event. Size is bounded elsewhere (BROADCAST_BODY_LIMIT, MAX_HTTP_BUFFER_SIZE); depth is bounded here.
 *
 * Why: encoders recurse. A broadcast nested 2400 levels deep (`[[[[...]]]]`) decodes fine, then makes
 * `JSON.stringify` in every worker's Socket.IO encoder throw `RangeError: Maximum call stack size exceeded`,
 * from the Redis adapter's message handler, where nothing catches it: every worker of every replica died at
 * once. A message no worker can encode must be refused at the door.
 */

/** Levels of arrays and objects a payload may have; the demo's deepest is 2. */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * How deep `value` is nested, counting arrays and plain objects (`1` for `[]` or `{}`, `0` for a scalar), but
 * never further than `limit + 1`: it stops as soon as it knows the answer is "too deep". Iterative, so a
 * hostile value cannot overflow the stack of the check itself. Buffers and typed arrays (binary attachments,
 * msgpack) are leaves.
 */
export function payloadDepth(value: unknown, limit = MAX_PAYLOAD_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null || ArrayBuffer.isView(current)) continue;
    if (current instanceof ArrayBuffer) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, level]);
  }
  return deepest;
}

/** An error message for a payload nested deeper than `limit`, or `undefined` when it is acceptable. */
export function payloadDepthError(value: unknown, what: string, limit = MAX_PAYLOAD_DEPTH): string | undefined {
  return payloadDepth(value, limit) > limit ? `${what} is nested deeper than ${limit} levels` : undefined;
}
