import { createHash, randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { findTenant, type Tenant } from "../tenants/tenant-store.ts";
import { sealSecret } from "./authenticator-secret.ts";
import type { AuthenticatorRow } from "./authenticator-store.ts";
import { encodeBase32 } from "./oath/base32.ts";
import { oathType } from "./registry.ts";
import { stateOf } from "./validate-otp.ts";

/**
 * One-time provisioning links: 256 random bits, stored hashed, valid for 15 minutes. Looking a
 * link up spends nothing (a mail scanner's GET must not); redeeming it is a compare-and-set on
 * the hash, so of any number of concurrent redemptions, in one process or many, exactly one
 * receives a secret.
 */
export const LINK_TTL_MS = 15 * 60_000;
const linkPattern = /^[A-Za-z0-9_-]{43}$/;
export const linkHash = (token: string) => createHash("sha256").update(token).digest("hex");
export const newLinkToken = () => randomBytes(32).toString("base64url");

/** The token an open link provisions; NotFound or DeviceAlreadyProvisioned otherwise. */
export async function openLink(ctx: ServerContext, token: string): Promise<AuthenticatorRow> {
  if (!linkPattern.test(token))
    throw new TesseraError(TesseraApiCode.NotFound, { message: "no such provisioning link" });
  const row = await ctx.database.db
    .selectFrom("authenticators")
    .selectAll()
    .where("provision_hash", "=", linkHash(token))
    .executeTakeFirst();
  if (row === undefined) {
    // Redeemed links keep nothing but the fact that the token was provisioned.
    throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
      message: "this provisioning link was already used or replaced",
    });
  }
  if ((row.provision_expires_at ?? 0) <= ctx.clock.now())
    throw new TesseraError(TesseraApiCode.NotFound, { message: "this provisioning link has expired" });
  return row;
}

export interface Provisioned {
  readonly code: typeof ApiReturnCode.Provisioned | typeof ApiReturnCode.Reprovisioned;
  readonly serial: string;
  readonly tenant: Tenant;
  readonly provisioningUri: string;
  readonly secret: string;
}

/**
 * Gives the token a fresh secret (the previous one stops working) and returns it, once. The
 * otpauth label names the holder (`holderName`), as POST /v1/authenticators does, or the serial
 * for an unassigned token.
 */
export async function redeemLink(
  ctx: ServerContext,
  token: string,
  holderName: (userId: string | null) => Promise<string | null>,
): Promise<Provisioned> {
  const row = await openLink(ctx, token);
  const db = ctx.database.db;
  const now = ctx.clock.now();
  const secret = randomBytes(20);
  const redeemed = await db
    .updateTable("authenticators")
    .set({
      provision_hash: null,
      provision_expires_at: null,
      provisioned_at: now,
      secret_enc: sealSecret(ctx, row.id, secret),
      // The seed now lives in a phone app: the token can never go back to the pool.
      seed_revealed: 1,
      position: 0,
      drift: 0,
      // A new seed starts with a clean record: the administrator who issued the link cleared it.
      failures: 0,
      lock_count: 0,
      consecutive_failures: 0,
      locked_until: null,
      activated: 1,
      updated_at: now,
    })
    .where("id", "=", row.id)
    .where("provision_hash", "=", linkHash(token))
    .where("provision_expires_at", ">", now)
    .executeTakeFirst();
  if (Number(redeemed.numUpdatedRows) !== 1)
    throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
      message: "this provisioning link was just used",
    });
  const tenant = await findTenant(db, row.tenant_id);
  if (tenant === undefined) throw new TesseraError(TesseraApiCode.NotFound, { message: "no such tenant" });
  const provisioningUri = oathType(row.type).provisioningUri(
    secret,
    { algorithm: stateOf(row).algorithm, digits: row.digits, period: row.period },
    { ...stateOf(row), position: 0 },
    tenant.name,
    (await holderName(row.user_id)) ?? row.serial,
  );
  return {
    code: row.provisioned_at === null ? ApiReturnCode.Provisioned : ApiReturnCode.Reprovisioned,
    serial: row.serial,
    tenant,
    provisioningUri,
    secret: encodeBase32(secret),
  };
}
