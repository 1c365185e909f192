import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { shapeCheck } from "../app/shape-checks.ts";
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

/** The rule, as every refusal of a username states it. */
export const USERNAME_RULE =
  "must be 1–128 letters, digits and . _ @ + -, starting with a letter or digit (case does not matter)";

/** InvalidPartnerUserLogin for a username that cannot exist; used on every lookup path. */
export function requireWellFormed(raw: unknown, field: string): string {
  const username = typeof raw === "string" ? normaliseUsername(raw) : "";
  if (!isWellFormedUsername(username)) {
    throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
      message: `${field} ${USERNAME_RULE}`,
      field,
    });
  }
  return username;
}

/**
 * A username in a request body, checked in validation (app/shape-checks.ts) so that a malformed
 * one is reported with the body's other problems, before any lookup; handlers still normalise it
 * through requireWellFormed.
 */
export const usernameInput = {
  type: "string",
  maxLength: 300,
  ...shapeCheck("username", (value) =>
    typeof value === "string" && !isWellFormedUsername(normaliseUsername(value))
      ? [{ code: ApiReturnCode.InvalidPartnerUserLogin, reason: USERNAME_RULE }]
      : [],
  ),
} as const;

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
