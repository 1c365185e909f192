import { isIP } from "node:net";
import { isPublicAddress } from "./address-ranges.ts";

/** The URL's host as an address or a name: an IPv6 literal without its brackets. */
export const urlHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/**
 * The URL of an outgoing request (webhook or site), or why it is refused, without any lookup:
 * scheme, credentials and an IP-literal host. Names are checked where they are resolved
 * (checked-lookup.ts). The refusals are sentences an operator or integrator reads as they are.
 */
export function parseOutboundUrl(raw: string, allowPrivate: boolean): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "only http and https URLs are allowed";
  if (url.username !== "" || url.password !== "") return "credentials in the URL are not allowed";
  const host = urlHost(url);
  if (!allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) return `the address ${host} is not public`;
  if (!allowPrivate && isLocalName(host)) return `the host ${host} is a local name`;
  return url;
}

/**
 * A single-label name ("intranet") or localhost: resolved inside the server's own network (search
 * domains, hosts files), whatever public DNS says, so refused without a lookup.
 */
export function isLocalName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return isIP(name) === 0 && (name === "localhost" || name.endsWith(".localhost") || !name.includes("."));
}
