import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import { isPublicAddress } from "./address-ranges.ts";

/**
 * Outgoing requests (webhook deliveries, site requests) must not reach into the server's own
 * network (SSRF): only public addresses are connected to unless the operator allows private ones.
 * A request connects through `checkedLookup`, which resolves the host once and hands the socket
 * only the addresses it checked, so a DNS answer that changes between the check and the connect
 * (rebinding) cannot redirect the request.
 */
export type Resolver = (host: string) => Promise<readonly LookupAddress[]>;

/** Every outgoing name lookup goes through here. Only tests replace `resolve` (to play a DNS server). */
export const outboundDns: { resolve: Resolver } = {
  resolve: (host) => lookup(host, { all: true }),
};

/** A refusal by the address check; a webhook delivery or site request refused this way is not retried. */
export class AddressRefused extends Error {}

/**
 * Why the host is refused: every answer must be public (one private address among public ones
 * refuses the host). A name that does not exist gets the same sentence as one that resolves into
 * a private network: tenants read these refusals (a job's timeline, a delivery log, a webhook
 * registration), and telling the two apart would let them map the server's internal DNS.
 */
export const noPublicAddress = (host: string) => `the host ${host} does not resolve to a public address`;

export function refusedAnswer(host: string, addresses: readonly LookupAddress[], allowPrivate: boolean) {
  if (addresses.length === 0) return noPublicAddress(host);
  if (allowPrivate) return undefined;
  return addresses.every((a) => isPublicAddress(a.address)) ? undefined : noPublicAddress(host);
}

/** Resolver errors that say the name has no address (as opposed to DNS being unavailable). */
const noSuchName = new Set(["ENOTFOUND", "ENODATA", "ENONAME"]);

/**
 * The socket's `lookup` for an outgoing request: the one resolution whose answers are checked is
 * the one connected to. (Node skips `lookup` for IP literals; `parseOutboundUrl` checked those.)
 */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const wanted =
      options.family === 4 || options.family === "IPv4"
        ? 4
        : options.family === 6 || options.family === "IPv6"
          ? 6
          : 0;
    const answer = outboundDns.resolve(hostname).then(
      (addresses) => {
        const refused = refusedAnswer(hostname, addresses, allowPrivate);
        if (refused !== undefined) return new AddressRefused(refused);
        const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
        return usable.length > 0 ? usable : new AddressRefused(noPublicAddress(hostname));
      },
      (error: Error & { code?: string }) =>
        !allowPrivate && noSuchName.has(error.code ?? "")
          ? new AddressRefused(noPublicAddress(hostname))
          : error,
    );
    void answer.then((result) => {
      if (result instanceof Error) callback(result, "", 0);
      else if (options.all === true) callback(null, [...result]);
      else callback(null, result[0]?.address ?? "", result[0]?.family ?? 0);
    });
  };
}
