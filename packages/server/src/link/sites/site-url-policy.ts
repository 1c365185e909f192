import { isIP } from "node:net";
import { isPublicAddress } from "../../net/address-ranges.ts";
import { isLocalName, parseOutboundUrl, urlHost } from "../../net/outbound-url.ts";

/**
 * Where an operator-added site may point, checked when it is added or changed: https to a public
 * host, unless link.siteAllowPrivateNetworks (development and tests) also allows http, loopback
 * and private addresses. Names are not looked up here: what a name resolves to can change after
 * this check, so the check that counts is the one at every connection (connectors/site-http.ts);
 * this one refuses what is wrong whatever DNS says, and keeps a file import free of network.
 */
export function siteUrlProblem(raw: string, allowPrivate: boolean): string | undefined {
  const url = parseOutboundUrl(raw, true);
  if (typeof url === "string") return url;
  if (allowPrivate) return undefined;
  const literal = urlHost(url);
  // A literal address is what it is (nothing "resolves"); the refusal names the setting.
  if (isIP(literal) !== 0 && !isPublicAddress(literal))
    return `the address ${literal} is not public (allowed only with link.siteAllowPrivateNetworks)`;
  if (url.protocol !== "https:")
    return "only https URLs are allowed (http needs link.siteAllowPrivateNetworks)";
  // The port rule of every connection (connectors/request-address-policy.ts), said when the site is saved.
  if (url.port !== "")
    return `port ${url.port} is refused: only 443, the https port, is allowed (another needs link.siteAllowPrivateNetworks)`;
  // A single-label name ("intranet") or localhost is resolved inside the server's own network.
  if (isLocalName(urlHost(url)))
    return `the host ${urlHost(url)} is a local name (allowed only with link.siteAllowPrivateNetworks)`;
  return undefined;
}
