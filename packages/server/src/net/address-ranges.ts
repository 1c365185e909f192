import { isIP } from "node:net";

/**
 * Which IP addresses an outgoing request (a webhook delivery, a site request) may reach: only
 * globally routable unicast. IPv4 and IPv6 are classified on their own integer values (Node's
 * BlockList matched every IPv4 address against the IPv4-mapped IPv6 rule, refusing all of them). IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, NAT64) are judged by that IPv4 address, so ::ffff:127.0.0.1 and 64:ff9b::7f00:1
 * are loopback. IPv6 is an allowlist of global unicast (2000::/3) minus the special-purpose
 * blocks inside it, so anything new or unusual is refused rather than reached.
 */
type Range = readonly [base: bigint, prefix: number];

function v4Value(text: string): bigint {
  return text.split(".").reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function v6Value(text: string): bigint {
  const groups = (part: string) =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [BigInt(`0x${group}`)];
          const v4 = v4Value(group);
          return [v4 >> 16n, v4 & 0xffffn];
        });
  const [head = "", tail] = text.split("::");
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const zeros = Array<bigint>(8 - before.length - after.length).fill(0n);
  return [...before, ...zeros, ...after].reduce((value, group) => (value << 16n) | group, 0n);
}

const v4 = (base: string, prefix: number): Range => [v4Value(base), prefix];
const v6 = (base: string, prefix: number): Range => [v6Value(base), prefix];
const within = (value: bigint, bits: number, [base, prefix]: Range) =>
  value >> BigInt(bits - prefix) === base >> BigInt(bits - prefix);

/** IANA IPv4 special-purpose blocks that are not globally reachable, plus multicast and reserved. */
const refusedV4 = [
  v4("0.0.0.0", 8), // "this network"
  v4("10.0.0.0", 8), // private
  v4("100.64.0.0", 10), // shared address space (carrier-grade NAT)
  v4("127.0.0.0", 8), // loopback
  v4("169.254.0.0", 16), // link-local, cloud metadata services
  v4("172.16.0.0", 12), // private
  v4("192.0.0.0", 24), // IETF protocol assignments
  v4("192.0.2.0", 24), // documentation
  v4("192.88.99.0", 24), // 6to4 relay anycast (deprecated)
  v4("192.168.0.0", 16), // private
  v4("198.18.0.0", 15), // benchmarking
  v4("198.51.100.0", 24), // documentation
  v4("203.0.113.0", 24), // documentation
  v4("224.0.0.0", 4), // multicast
  v4("240.0.0.0", 4), // reserved, and the limited broadcast 255.255.255.255
];

/** IPv6 blocks whose last 32 bits are an IPv4 address the packet is delivered to. */
const carriesV4 = [
  v6("::ffff:0:0", 96), // IPv4-mapped
  v6("64:ff9b::", 96), // NAT64 well-known prefix
];

const globalUnicast = v6("2000::", 3);

/** Special-purpose blocks inside 2000::/3. */
const refusedV6 = [
  v6("2001::", 23), // IETF protocol assignments: Teredo (embeds an IPv4 address), benchmarking, ORCHID
  v6("2001:db8::", 32), // documentation
  v6("2002::", 16), // 6to4: reaches whatever IPv4 address it embeds, through a relay (deprecated)
  v6("3fff::", 20), // documentation
];

const refusedV4Value = (value: bigint) => refusedV4.some((range) => within(value, 32, range));

/** True when the address is globally routable unicast, the only kind an outgoing request may reach. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  // A zone index (fe80::1%eth0) only exists on link-local addresses.
  if (family === 0 || address.includes("%")) return false;
  if (family === 4) return !refusedV4Value(v4Value(address));
  const value = v6Value(address.toLowerCase());
  if (carriesV4.some((range) => within(value, 128, range))) return !refusedV4Value(value & 0xffffffffn);
  return within(value, 128, globalUnicast) && !refusedV6.some((range) => within(value, 128, range));
}
