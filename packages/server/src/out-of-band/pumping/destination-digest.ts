import { createHmac } from "node:crypto";
import type { ServerContext } from "../../app/server-context.ts";

/**
 * The name a destination is counted under: a keyed hash (HMAC-SHA-256 under a key derived from
 * the active master key), never the number or address itself. Phone numbers are few enough to be
 * enumerated, so an unkeyed hash in the rate_limits table would give them away; with the key, a
 * copy of the database does not tell which numbers were sent codes. After a key rotation the
 * counters start afresh (at most one more window's allowance, once).
 */
const PURPOSE = "tessera out-of-band destination counter v1";

export function destinationDigest(ctx: ServerContext, tenantId: string, destination: string): string {
  return createHmac("sha256", ctx.keys.derivedKey(ctx.keys.activeKeyId, PURPOSE))
    .update(`${tenantId}\n${destination}`)
    .digest("base64url");
}
