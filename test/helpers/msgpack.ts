/**
 * Just enough MessagePack to write, by hand, the messages the Redis adapter decodes: a payload nested deeper
 * than any recursive encoder in this process could produce, and shapes no emitter would send.
 * @see https://github.com/msgpack/msgpack/blob/master/spec.md
 */
export type Packable = null | number | string | Packable[] | { [key: string]: Packable } | Buffer;

export function pack(value: Packable): Buffer {
  if (Buffer.isBuffer(value)) return value; // already encoded (see nested())
  if (value === null) return Buffer.from([0xc0]);
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 127) throw new Error("only small positive integers");
    return Buffer.from([value]);
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    if (bytes.length > 255) throw new Error("strings up to 255 bytes");
    return Buffer.concat([
      bytes.length < 32 ? Buffer.from([0xa0 | bytes.length]) : Buffer.from([0xd9, bytes.length]),
      bytes,
    ]);
  }
  if (Array.isArray(value)) {
    if (value.length > 15) throw new Error("arrays up to 15 items");
    return Buffer.concat([Buffer.from([0x90 | value.length]), ...value.map(pack)]);
  }
  const entries = Object.entries(value);
  if (entries.length > 15) throw new Error("maps up to 15 entries");
  return Buffer.concat([Buffer.from([0x80 | entries.length]), ...entries.flatMap(([k, v]) => [pack(k), pack(v)])]);
}

/** `[[[ ... null ... ]]]`, `depth` arrays deep, already encoded (built without recursion). */
export function nested(depth: number): Buffer {
  return Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]);
}
