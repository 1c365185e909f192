import { randomUUID } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Kysely, Selectable, Updateable } from "kysely";
import type { RadiusReplyAttribute } from "../radius/reply-attributes.ts";
import type { Schema, TenantsTable } from "../storage/schema.ts";

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly disabled: boolean;
  readonly expiresAt: number | null;
  readonly allowedIpRanges: readonly string[];
  readonly allowedEmailDomains: readonly string[];
  /** Wrong passwords before an account locks. */
  readonly passwordMaxFailures: number;
  /** First lock length; each further lock doubles it. */
  readonly lockoutBaseSeconds: number;
  readonly passwordMaxAgeDays: number | null;
  /** Wrong one-time codes before a token locks. */
  readonly otpMaxFailures: number;
  /** The first lock's length for a token; each further lock doubles it (until a success). */
  readonly otpLockoutSeconds: number;
  readonly createdAt: number;
  /**
   * Failures in a row (over any number of locks, until a success) after which an account or a
   * token stays locked until an administrator clears it. NIST SP 800-63B: at most 100.
   */
  readonly maxConsecutiveFailures: number;
  /** Codes that activate a new token: 1 (default) or 2 consecutive ones. */
  readonly activationCodes: 1 | 2;
  /** SSO sign-in: `required` (every user proves a second factor) or `optional` (docs/sso.md). */
  readonly ssoSecondFactor: SsoSecondFactor;
  /** A user without a usable second factor may enrol a TOTP token on the sign-in page. */
  readonly ssoSelfEnrolment: boolean;
  /** Seconds a code sent by SMS, voice or e-mail stays valid (SendOTPExpired after). */
  readonly challengeCodeTtlSeconds: number;
  /** Countries (ISO 3166-1 alpha-2) codes may be sent to by SMS or voice; empty: none (fail closed). */
  readonly challengeCountries: readonly string[];
  /** How long a sign-in push waits for its answer (push/sign-in-push.ts). */
  readonly pushRequestTtlSeconds: number;
  /** Sign-in pushes of one user that may be pending at once. */
  readonly pushMaxPending: number;
  /** Sign-in pushes one user may be sent per hour. */
  readonly pushMaxPerHour: number;
  /** After a rejected sign-in push, no new one for the user for this long. */
  readonly pushCooldownSeconds: number;
  /** WebAuthn relying party id; null: the host of publicUrl (authenticators/webauthn/relying-party.ts). */
  readonly webauthnRpId: string | null;
  /** The name authenticators show; null: the tenant's name. */
  readonly webauthnRpName: string | null;
  /** Origins WebAuthn ceremonies may come from; empty: publicUrl's origin. */
  readonly webauthnOrigins: readonly string[];
  readonly webauthnUserVerification: WebauthnUserVerification;
  /** Which attestations a new key needs: none asked, any verified one, or an allow-listed AAGUID. */
  readonly webauthnAttestation: WebauthnAttestation;
  readonly webauthnAaguids: readonly string[];
  /** The AppID legacy U2F keys were registered under (the `appid` extension), if any. */
  readonly webauthnU2fAppId: string | null;
  /** Attributes every RADIUS Access-Accept of the tenant carries (radius/reply-attributes.ts). */
  readonly radiusReplyAttributes: readonly RadiusReplyAttribute[];
}

export const webauthnUserVerificationValues = ["required", "preferred", "discouraged"] as const;
export type WebauthnUserVerification = (typeof webauthnUserVerificationValues)[number];
export const webauthnAttestationValues = ["none", "any", "allow-list"] as const;
export type WebauthnAttestation = (typeof webauthnAttestationValues)[number];

export const ssoSecondFactorValues = ["required", "optional"] as const;
export type SsoSecondFactor = (typeof ssoSecondFactorValues)[number];

export type TenantSettings = Partial<
  Pick<
    Tenant,
    | "disabled"
    | "expiresAt"
    | "allowedIpRanges"
    | "allowedEmailDomains"
    | "passwordMaxFailures"
    | "lockoutBaseSeconds"
    | "passwordMaxAgeDays"
    | "otpMaxFailures"
    | "otpLockoutSeconds"
    | "maxConsecutiveFailures"
    | "activationCodes"
    | "ssoSecondFactor"
    | "ssoSelfEnrolment"
    | "challengeCodeTtlSeconds"
    | "challengeCountries"
    | "pushRequestTtlSeconds"
    | "pushMaxPending"
    | "pushMaxPerHour"
    | "pushCooldownSeconds"
    | "webauthnRpId"
    | "webauthnRpName"
    | "webauthnOrigins"
    | "webauthnUserVerification"
    | "webauthnAttestation"
    | "webauthnAaguids"
    | "webauthnU2fAppId"
    | "radiusReplyAttributes"
  >
>;

export const tenantNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/**
 * Tenant ids are UUIDs, and findTenant takes an id or a name: a name shaped like an id could be
 * resolved in place of the tenant whose id it copies (a RADIUS client's or an issuer's tenant).
 */
const uuidShaped = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function toTenant(row: Selectable<TenantsTable>): Tenant {
  return {
    id: row.id,
    name: row.name,
    disabled: row.disabled === 1,
    expiresAt: row.expires_at,
    allowedIpRanges: JSON.parse(row.allowed_ip_ranges),
    allowedEmailDomains: JSON.parse(row.allowed_email_domains),
    passwordMaxFailures: row.password_max_failures,
    lockoutBaseSeconds: row.lockout_base_seconds,
    passwordMaxAgeDays: row.password_max_age_days,
    otpMaxFailures: row.otp_max_failures,
    otpLockoutSeconds: row.otp_lockout_seconds,
    createdAt: row.created_at,
    maxConsecutiveFailures: row.max_consecutive_failures,
    activationCodes: row.activation_codes === 2 ? 2 : 1,
    // Anything but an explicit "optional" is "required": fail closed.
    ssoSecondFactor: row.sso_second_factor === "optional" ? "optional" : "required",
    ssoSelfEnrolment: row.sso_self_enrolment === 1,
    challengeCodeTtlSeconds: row.challenge_code_ttl_seconds,
    challengeCountries: JSON.parse(row.challenge_countries),
    pushRequestTtlSeconds: row.push_request_ttl_seconds,
    pushMaxPending: row.push_max_pending,
    pushMaxPerHour: row.push_max_per_hour,
    pushCooldownSeconds: row.push_cooldown_seconds,
    webauthnRpId: row.webauthn_rp_id,
    webauthnRpName: row.webauthn_rp_name,
    webauthnOrigins: JSON.parse(row.webauthn_origins),
    // Unknown values fail closed: user verification required, attestation allow-listed.
    webauthnUserVerification: (webauthnUserVerificationValues as readonly string[]).includes(
      row.webauthn_user_verification,
    )
      ? (row.webauthn_user_verification as WebauthnUserVerification)
      : "required",
    webauthnAttestation: (webauthnAttestationValues as readonly string[]).includes(row.webauthn_attestation)
      ? (row.webauthn_attestation as WebauthnAttestation)
      : "allow-list",
    webauthnAaguids: JSON.parse(row.webauthn_aaguids),
    webauthnU2fAppId: row.webauthn_u2f_app_id,
    radiusReplyAttributes: JSON.parse(row.radius_reply_attributes),
  };
}

/** EnrollPartnerFailed when the name is malformed or taken. */
export async function createTenant(db: Kysely<Schema>, name: string, now: number): Promise<Tenant> {
  if (!tenantNamePattern.test(name)) {
    throw new TesseraError(ApiReturnCode.EnrollPartnerFailed, {
      message: "tenant name must be 1–63 lowercase letters, digits, '.', '_' or '-'",
      field: "name",
    });
  }
  if (uuidShaped.test(name)) {
    throw new TesseraError(ApiReturnCode.EnrollPartnerFailed, {
      message: "a tenant name cannot have the shape of a tenant id (a UUID)",
      field: "name",
    });
  }
  const row = {
    id: randomUUID(),
    name,
    disabled: 0,
    expires_at: null,
    allowed_ip_ranges: "[]",
    allowed_email_domains: "[]",
    password_max_failures: 5,
    lockout_base_seconds: 60,
    password_max_age_days: null,
    otp_max_failures: 5,
    otp_lockout_seconds: 300,
    created_at: now,
    updated_at: now,
    max_consecutive_failures: 100,
    activation_codes: 1,
    sso_second_factor: "required",
    sso_self_enrolment: 0,
    challenge_code_ttl_seconds: 600,
    challenge_countries: "[]",
    push_request_ttl_seconds: 120,
    push_max_pending: 1,
    push_max_per_hour: 10,
    push_cooldown_seconds: 60,
    webauthn_rp_id: null,
    webauthn_rp_name: null,
    webauthn_origins: "[]",
    webauthn_user_verification: "preferred",
    webauthn_attestation: "none",
    webauthn_aaguids: "[]",
    webauthn_u2f_app_id: null,
    radius_reply_attributes: "[]",
  };
  const inserted = await db
    .insertInto("tenants")
    .values(row)
    .onConflict((oc) => oc.column("name").doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    throw new TesseraError(ApiReturnCode.EnrollPartnerFailed, {
      message: `tenant ${name} already exists`,
      field: "name",
    });
  }
  return toTenant(row);
}

export async function findTenant(db: Kysely<Schema>, idOrName: string): Promise<Tenant | undefined> {
  const row = await db
    .selectFrom("tenants")
    .selectAll()
    .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
    .executeTakeFirst();
  return row === undefined ? undefined : toTenant(row);
}

export async function listTenants(db: Kysely<Schema>): Promise<Tenant[]> {
  return (await db.selectFrom("tenants").selectAll().orderBy("name").execute()).map(toTenant);
}

export async function updateTenant(
  db: Kysely<Schema>,
  id: string,
  settings: TenantSettings,
  now: number,
): Promise<Tenant> {
  const set: Updateable<TenantsTable> = { updated_at: now };
  if (settings.disabled !== undefined) set.disabled = settings.disabled ? 1 : 0;
  if (settings.expiresAt !== undefined) set.expires_at = settings.expiresAt;
  if (settings.allowedIpRanges !== undefined)
    set.allowed_ip_ranges = JSON.stringify(settings.allowedIpRanges);
  if (settings.allowedEmailDomains !== undefined)
    set.allowed_email_domains = JSON.stringify(settings.allowedEmailDomains);
  if (settings.passwordMaxFailures !== undefined) set.password_max_failures = settings.passwordMaxFailures;
  if (settings.lockoutBaseSeconds !== undefined) set.lockout_base_seconds = settings.lockoutBaseSeconds;
  if (settings.passwordMaxAgeDays !== undefined) set.password_max_age_days = settings.passwordMaxAgeDays;
  if (settings.otpMaxFailures !== undefined) set.otp_max_failures = settings.otpMaxFailures;
  if (settings.otpLockoutSeconds !== undefined) set.otp_lockout_seconds = settings.otpLockoutSeconds;
  if (settings.maxConsecutiveFailures !== undefined)
    set.max_consecutive_failures = settings.maxConsecutiveFailures;
  if (settings.activationCodes !== undefined) set.activation_codes = settings.activationCodes;
  if (settings.ssoSecondFactor !== undefined) set.sso_second_factor = settings.ssoSecondFactor;
  if (settings.ssoSelfEnrolment !== undefined) set.sso_self_enrolment = settings.ssoSelfEnrolment ? 1 : 0;
  if (settings.challengeCodeTtlSeconds !== undefined)
    set.challenge_code_ttl_seconds = settings.challengeCodeTtlSeconds;
  if (settings.challengeCountries !== undefined)
    set.challenge_countries = JSON.stringify(settings.challengeCountries);
  if (settings.pushRequestTtlSeconds !== undefined)
    set.push_request_ttl_seconds = settings.pushRequestTtlSeconds;
  if (settings.pushMaxPending !== undefined) set.push_max_pending = settings.pushMaxPending;
  if (settings.pushMaxPerHour !== undefined) set.push_max_per_hour = settings.pushMaxPerHour;
  if (settings.pushCooldownSeconds !== undefined) set.push_cooldown_seconds = settings.pushCooldownSeconds;
  if (settings.webauthnRpId !== undefined) set.webauthn_rp_id = settings.webauthnRpId;
  if (settings.webauthnRpName !== undefined) set.webauthn_rp_name = settings.webauthnRpName;
  if (settings.webauthnOrigins !== undefined) set.webauthn_origins = JSON.stringify(settings.webauthnOrigins);
  if (settings.webauthnUserVerification !== undefined)
    set.webauthn_user_verification = settings.webauthnUserVerification;
  if (settings.webauthnAttestation !== undefined) set.webauthn_attestation = settings.webauthnAttestation;
  if (settings.webauthnAaguids !== undefined) set.webauthn_aaguids = JSON.stringify(settings.webauthnAaguids);
  if (settings.webauthnU2fAppId !== undefined) set.webauthn_u2f_app_id = settings.webauthnU2fAppId;
  if (settings.radiusReplyAttributes !== undefined)
    set.radius_reply_attributes = JSON.stringify(settings.radiusReplyAttributes);
  const row = await db.updateTable("tenants").set(set).where("id", "=", id).returningAll().executeTakeFirst();
  if (row === undefined) throw new TesseraError(9903, { message: `no tenant ${id}` });
  return toTenant(row);
}
