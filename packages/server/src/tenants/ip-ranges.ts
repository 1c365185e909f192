import { BlockList, isIP } from "node:net";

/** Allowed-address lists in CIDR notation ("10.0.0.0/8", "2001:db8::/32", or one address). */

export function isValidIpRange(text: string): boolean {
  const [address, prefix, extra] = text.split("/");
  const family = isIP(address ?? "");
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** An IPv4 client seen through a dual-stack socket arrives as ::ffff:a.b.c.d. */
function normalise(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

export function ipInRanges(ranges: readonly string[], ip: string): boolean {
  const list = new BlockList();
  for (const range of ranges) {
    const [address = "", prefix] = range.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  const address = normalise(ip);
  return list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}
