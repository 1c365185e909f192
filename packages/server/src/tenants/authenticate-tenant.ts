import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { addressGroup } from "../rate-limits/address-group.ts";
import { resolveApiKey } from "./api-keys.ts";
import { ipInRanges } from "./ip-ranges.ts";
import { recordSourceFailure } from "./source-lockout.ts";

/**
 * onRequest hook of the tenant API: `Authorization: Bearer <tenant API key>`.
 *
 * A key that verifies is served whatever the source's lockout, so other clients behind the same
 * address cannot lock out its owner; the lockout answers only keys that fail (see
 * source-lockout.ts). Then the tenant's state, and its allowed addresses.
 */
export async function authenticateTenant(request: FastifyRequest): Promise<void> {
  const { database, clock, config } = request.server.ctx;
  const now = clock.now();
  const source = request.ip;
  // Failures and lockouts count per address group (an IPv6 /64), so a client cannot rotate out.
  const sourceKey = addressGroup(source);
  const header = request.headers.authorization ?? "";
  const presented = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  const resolved = await resolveApiKey(database.db, presented, sourceKey, now);
  if (resolved.kind === "invalid" || resolved.tenant.disabled) {
    // A locked source's bad keys are refused without a write, so a flood costs one read each.
    const locked =
      resolved.sourceLockedUntil !== null && resolved.sourceLockedUntil > now
        ? resolved.sourceLockedUntil
        : (await recordSourceFailure(database.db, sourceKey, now, config.apiKeys)).lockedUntil;
    if (locked !== undefined) {
      throw new TesseraError(ApiReturnCode.MaximumLoginPartnerAttempsExceeded, {
        message: `the API key is not valid, and too many invalid API keys came from this address; retry after ${new Date(locked).toISOString()} (valid keys are still accepted)`,
        field: "headers.authorization",
        retryAt: locked,
      });
    }
    throw new TesseraError(ApiReturnCode.PartnerLoginFailed, {
      message:
        presented === "" ? "missing Authorization: Bearer <tenant API key>" : "the API key is not valid",
      field: "headers.authorization",
    });
  }
  const { tenant, keyId } = resolved;
  request.tenant = tenant;
  request.actor = `apikey:${keyId}`;
  request.keyScopes = resolved.scopes;
  if (tenant.expiresAt !== null && tenant.expiresAt <= now) {
    throw new TesseraError(ApiReturnCode.AccountExpired, { message: "the tenant account has expired" });
  }
  if (tenant.allowedIpRanges.length > 0 && !ipInRanges(tenant.allowedIpRanges, source)) {
    throw new TesseraError(TesseraApiCode.SourceAddressNotAllowed, {
      message: `source address ${source} is outside the tenant's allowed ranges`,
    });
  }
}
