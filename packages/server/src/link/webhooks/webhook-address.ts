import { isIP } from "node:net";
import { noPublicAddress, outboundDns, refusedAnswer } from "../../net/checked-lookup.ts";
import { parseOutboundUrl, urlHost } from "../../net/outbound-url.ts";

/**
 * Webhook targets must not reach into the server's own network (SSRF): only public addresses are
 * called unless the operator allows private ones (link.webhookAllowPrivateNetworks, development
 * only). Registration checks the URL here, looking its name up once; each delivery connects
 * through net/checked-lookup.ts, which checks the addresses it actually connects to.
 */

/** Why the URL is refused, or undefined when it may be registered. Looks the name up; never connects. */
export async function refuseWebhookUrl(raw: string, allowPrivate: boolean): Promise<string | undefined> {
  const url = parseOutboundUrl(raw, allowPrivate);
  if (typeof url === "string") return url;
  const host = urlHost(url);
  if (allowPrivate || isIP(host) !== 0) return undefined;
  try {
    return refusedAnswer(host, await outboundDns.resolve(host), false);
  } catch {
    return noPublicAddress(host);
  }
}
