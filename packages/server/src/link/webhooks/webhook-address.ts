import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { isPublicAddress } from "./address-ranges.ts";

/**
 * Webhook targets must not reach into the server's own network (SSRF): only public addresses are
 * called unless the operator allows private ones (link.webhookAllowPrivateNetworks, development
 * only). Registration checks the URL; each delivery connects through `checkedLookup`, which
 * resolves the host once and hands the socket only the addresses it checked, so a DNS answer that
 * changes between the check and the connect (rebinding) cannot redirect the request.
 */
export type WebhookResolver = (host: string) => Promise<readonly LookupAddress[]>;

/** Every webhook name lookup goes through here. Only tests replace `resolve` (to play a DNS server). */
export const webhookDns: { resolve: WebhookResolver } = {
  resolve: (host) => lookup(host, { all: true }),
};

/** A refusal by the address check; a delivery refused this way is not retried. */
export class WebhookAddressRefused extends Error {}

export const webhookHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/** The URL, or why it is refused, without any lookup: scheme, credentials and an IP-literal host. */
export function parseWebhookUrl(raw: string, allowPrivate: boolean): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "only http and https URLs are allowed";
  if (url.username !== "" || url.password !== "") return "credentials in the URL are not allowed";
  const host = webhookHost(url);
  if (!allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) return `the address ${host} is not public`;
  return url;
}

/** Every answer must be public: one private address among public ones refuses the host. */
function refusedAnswer(host: string, addresses: readonly LookupAddress[], allowPrivate: boolean) {
  if (addresses.length === 0) return `the host ${host} does not resolve`;
  if (allowPrivate) return undefined;
  const blocked = addresses.find((a) => !isPublicAddress(a.address));
  return blocked === undefined ? undefined : `the host resolves to a non-public address (${blocked.address})`;
}

/** Why the URL is refused, or undefined when it may be registered. Looks the name up; never connects. */
export async function refuseWebhookUrl(raw: string, allowPrivate: boolean): Promise<string | undefined> {
  const url = parseWebhookUrl(raw, allowPrivate);
  if (typeof url === "string") return url;
  const host = webhookHost(url);
  if (allowPrivate || isIP(host) !== 0) return undefined;
  try {
    return refusedAnswer(host, await webhookDns.resolve(host), false);
  } catch {
    return `the host ${host} does not resolve`;
  }
}

/**
 * The socket's `lookup` for a delivery: the one resolution whose answers are checked is the one
 * connected to. (Node skips `lookup` for IP literals; `parseWebhookUrl` checked those.)
 */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const wanted =
      options.family === 4 || options.family === "IPv4"
        ? 4
        : options.family === 6 || options.family === "IPv6"
          ? 6
          : 0;
    const answer = webhookDns.resolve(hostname).then(
      (addresses) => {
        const refused = refusedAnswer(hostname, addresses, allowPrivate);
        if (refused !== undefined) return new WebhookAddressRefused(refused);
        const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
        return usable.length > 0
          ? usable
          : new WebhookAddressRefused(`the host ${hostname} does not resolve`);
      },
      (error: Error) => error,
    );
    void answer.then((result) => {
      if (result instanceof Error) callback(result, "", 0);
      else if (options.all === true) callback(null, [...result]);
      else callback(null, result[0]?.address ?? "", result[0]?.family ?? 0);
    });
  };
}
