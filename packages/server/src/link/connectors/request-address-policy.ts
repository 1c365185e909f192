import type { LookupFunction } from "node:net";
import { checkedLookup } from "../../net/checked-lookup.ts";
import { parseOutboundUrl } from "../../net/outbound-url.ts";

/**
 * Where a connector request may go (SSRF): a site's address is set by an operator, and a site's
 * redirect by whoever answers there, so each hop is checked before it is sent. The checks are the
 * shared outgoing-address policy (net/): literal addresses here, names in the socket's `lookup`
 * (net/checked-lookup.ts), which resolves once and connects only to the addresses it checked. Built-in Sandbox Bank sites are
 * exempt on the Sandbox Bank's own origin (loopback by design); a redirect away from it is not.
 */
export const privateNetworksOff = "link.siteAllowPrivateNetworks is off";

export interface Hop {
  readonly url: URL;
  /** The hop before this one (a redirect), if any. */
  readonly from: URL | undefined;
  /** True for the Sandbox Bank's own origin. */
  readonly exempt: boolean;
}

/** Why the hop is refused, or undefined when it may be sent. Never looks a name up. */
export function refuseHop(hop: Hop, allowPrivate: boolean): string | undefined {
  const { url, from } = hop;
  if (url.protocol !== "https:" && url.protocol !== "http:") return `${url.protocol} is not http or https`;
  // Even where plain http is allowed, a site that answered over TLS is not followed off it.
  if (from?.protocol === "https:" && url.protocol === "http:")
    return `a redirect from https to http is refused (${url.host})`;
  if (hop.exempt) return undefined;
  if (url.protocol !== "https:" && !allowPrivate) return `only https is allowed (${privateNetworksOff})`;
  const parsed = parseOutboundUrl(url.toString(), allowPrivate);
  if (typeof parsed === "string") return allowPrivate ? parsed : `${parsed} (${privateNetworksOff})`;
  // Only the https port: a site's address is chosen by whoever adds it (a tenant, too), and the
  // timeline tells "refused" from "timed out", so any port would let a tenant scan other hosts'
  // ports from this server. Port 443 of a public host tells nothing one cannot see from anywhere.
  if (!allowPrivate && url.port !== "")
    return `port ${url.port} is refused: only 443, the https port, is allowed (${privateNetworksOff})`;
  return undefined;
}

/** The socket's lookup for a hop: the checked one, except on the Sandbox Bank's own origin. */
export function hopLookup(hop: Hop, allowPrivate: boolean): LookupFunction | undefined {
  return hop.exempt ? undefined : checkedLookup(allowPrivate);
}
