import { isIP } from "node:net";

/**
 * RADIUS client addresses as ranges in one IPv6 space: an IPv4 address is ::ffff:a.b.c.d (RFC
 * 4291 §2.5.5.2), so an IPv4 client matches a packet whether the dual-stack socket reports it as
 * 192.0.2.1 or ::ffff:192.0.2.1. Bounds are 32 lower-case hex digits, which sort as the addresses
 * do on both databases, so the look-up is one range query on an index.
 */
export interface ClientRange {
  /** Normalised text: the address alone for a single host, else network/prefix. */
  readonly address: string;
  readonly start: string;
  readonly end: string;
  /** Prefix length in the IPv6 space (IPv4 /24 is 120). */
  readonly prefix: number;
}

/**
 * The widest ranges accepted: a range claims its addresses for one tenant (ranges of two tenants
 * never overlap), so 0.0.0.0/0 would lock every other tenant out of adding an IPv4 client.
 */
const MIN_PREFIX = { 4: 8, 6: 32 } as const;

function bytesOf(ip: string): Uint8Array | undefined {
  const family = isIP(ip);
  if (family === 4) return Uint8Array.from([...Array(10).fill(0), 0xff, 0xff, ...ip.split(".").map(Number)]);
  if (family !== 6) return undefined;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  const text = v4 === null ? ip : `${ip.slice(0, v4.index)}0:0`;
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (v4 !== null) bytes.set((v4[1] as string).split(".").map(Number), 12);
  return bytes;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const MAPPED_V4 = {
  start: `${"0".repeat(20)}ffff${"0".repeat(8)}`,
  end: `${"0".repeat(20)}${"f".repeat(12)}`,
};
const isMappedV4 = (bytes: Uint8Array) => bytes.subarray(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0));

/** A packet's source as a range bound; undefined for anything that is not an IP address. */
export function sourceKey(ip: string): string | undefined {
  const bytes = bytesOf(ip.split("%")[0] as string);
  return bytes === undefined ? undefined : hex(bytes);
}

function textOf(bytes: Uint8Array): string {
  if (isMappedV4(bytes)) return [...bytes.subarray(12)].join(".");
  // The URL parser prints the canonical compressed form (RFC 5952).
  return new URL(`http://[${hex(bytes).replace(/(.{4})(?!$)/g, "$1:")}]`).hostname.slice(1, -1);
}

/** The range an administrator's address or CIDR text stands for, or why it is refused. */
export function parseClientRange(text: string): ClientRange | string {
  const [ip = "", prefixText, extra] = text.split("/");
  const bytes = bytesOf(ip);
  if (bytes === undefined || extra !== undefined || ip.includes("%"))
    return "is not an IP address or CIDR range";
  const v4 = isMappedV4(bytes);
  const bits = v4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return "has a malformed prefix length";
  const own = prefixText === undefined ? bits : Number(prefixText);
  if (own > bits) return `has a prefix longer than ${bits} bits`;
  const min = MIN_PREFIX[v4 ? 4 : 6];
  if (own < min) return `is wider than /${min}, the widest range a RADIUS client may have`;
  const prefix = own + (v4 ? 96 : 0);
  const start = Uint8Array.from(bytes);
  const end = Uint8Array.from(bytes);
  for (let bit = prefix; bit < 128; bit++) {
    const mask = 0x80 >> (bit % 8);
    start[bit >> 3] = (start[bit >> 3] as number) & ~mask;
    end[bit >> 3] = (end[bit >> 3] as number) | mask;
  }
  if (hex(start) !== hex(bytes)) return `has host bits set: the network is ${textOf(start)}/${own}`;
  // Every IPv4 source is keyed as ::ffff:a.b.c.d: an IPv6 range holding that block (::/32 does)
  // would claim all IPv4 sources for one tenant, past the /8 limit on IPv4 ranges.
  if (!v4 && hex(start) <= MAPPED_V4.start && hex(end) >= MAPPED_V4.end)
    return "covers the IPv4-mapped addresses ::ffff:0:0/96: give IPv4 clients as IPv4 addresses or ranges";
  return {
    address: own === bits ? textOf(start) : `${textOf(start)}/${own}`,
    start: hex(start),
    end: hex(end),
    prefix,
  };
}
