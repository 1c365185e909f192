import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { addressGroup } from "../rate-limits/address-group.ts";
import { resolveApiKey } from "./api-keys.ts";
import { ipInRanges } from "./ip-ranges.ts";
import { recordSourceFailure } from "./source-lockout.ts";

/**
 * onRequest hook of the tenant API: `Authorization: Bearer <tenant API key>`.
 *
 * Order matters: a locked-out source is refused whatever key it presents (so a valid key does not
 * help during a lockout); then the key, the tenant's state, and its allowed addresses.
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
  if (resolved.kind === "locked") {
    throw new TesseraError(ApiReturnCode.MaximumLoginPartnerAttempsExceeded, {
      message: `too many failed API-key attempts from this address; retry after ${new Date(resolved.until).toISOString()}`,
      retryAt: resolved.until,
    });
  }
  if (resolved.kind === "invalid" || resolved.tenant.disabled) {
    await recordSourceFailure(database.db, sourceKey, now, config.apiKeys);
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
