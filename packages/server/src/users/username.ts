import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Tenant } from "../tenants/tenant-store.ts";

/**
 * Usernames are case-insensitive (stored lowercased): 1–128 characters of letters, digits and
 * `. _ @ + -`, starting with a letter or digit. A tenant that lists allowed e-mail domains accepts
 * only usernames that are e-mail addresses in those domains.
 */
const usernamePattern = /^[a-z0-9][a-z0-9._@+-]{0,127}$/;

export function normaliseUsername(raw: string): string {
  return raw.trim().toLowerCase();
}

export function isWellFormedUsername(username: string): boolean {
  return usernamePattern.test(username);
}

/** InvalidPartnerUserLogin for a username that cannot exist; used on every lookup path. */
export function requireWellFormed(raw: unknown, field: string): string {
  const username = typeof raw === "string" ? normaliseUsername(raw) : "";
  if (!isWellFormedUsername(username)) {
    throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
      message: `${field} is not a valid username`,
      field,
    });
  }
  return username;
}

export function checkTenantDomain(tenant: Tenant, username: string, field: string): void {
  if (tenant.allowedEmailDomains.length === 0) return;
  const at = username.lastIndexOf("@");
  const domain = at > 0 ? username.slice(at + 1) : "";
  if (!tenant.allowedEmailDomains.includes(domain)) {
    throw new TesseraError(ApiReturnCode.PartnerUserLoginFailedInvalidDomain, {
      message: `${field} must be an e-mail address in ${tenant.allowedEmailDomains.join(", ")}`,
      field,
    });
  }
}
