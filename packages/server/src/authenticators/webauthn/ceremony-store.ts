import { createHash, randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Selectable } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { WebauthnCeremoniesTable } from "../../storage/schema.ts";

export type CeremonyRow = Selectable<WebauthnCeremoniesTable>;
export type CeremonyKind = CeremonyRow["kind"];

/**
 * WebAuthn ceremonies, kept server-side so that nothing the client sends back can choose its own
 * challenge, user, relying party or origins. The id the client holds is 256 random bits; the
 * table keeps only its SHA-256, so reading the database gives no usable ceremony. Single use: the
 * compare-and-set on `used_at` in spendCeremony lets exactly one of any number of concurrent
 * verifications (in one process or many) have it, and the ceremony is spent before its response
 * is checked, so a failed verification cannot be retried with the same challenge.
 */
export const CEREMONY_TTL_MS = 5 * 60_000;
const idPattern = /^[A-Za-z0-9_-]{43}$/;
const idHash = (id: string) => createHash("sha256").update(id).digest("hex");

/** A fresh challenge: 32 random bytes (WebAuthn asks for at least 16), base64url. */
export const newChallenge = (): string => randomBytes(32).toString("base64url");

export type NewCeremony = Omit<CeremonyRow, "id_hash" | "created_at" | "expires_at" | "used_at">;

/** Stores a ceremony; returns the id to hand to the client and when it expires. */
export async function createCeremony(
  ctx: ServerContext,
  ceremony: NewCeremony,
): Promise<{ ceremonyId: string; expiresAt: number }> {
  const ceremonyId = randomBytes(32).toString("base64url");
  const now = ctx.clock.now();
  const expiresAt = now + CEREMONY_TTL_MS;
  await ctx.database.db
    .insertInto("webauthn_ceremonies")
    .values({
      ...ceremony,
      id_hash: idHash(ceremonyId),
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  return { ceremonyId, expiresAt };
}

const unusable = (field: string) =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData, {
    message: "the ceremony is unknown, expired or already used: start a new one",
    field,
  });

/**
 * Spends the tenant's ceremony `id` of `kind`: unknown, another tenant's, of the other kind,
 * expired or used are all the same InvalidSessionIdData (nothing says which).
 */
export async function spendCeremony(
  ctx: ServerContext,
  tenantId: string,
  kind: CeremonyKind,
  id: unknown,
  field = "body.ceremonyId",
): Promise<CeremonyRow> {
  if (typeof id !== "string" || !idPattern.test(id)) throw unusable(field);
  const now = ctx.clock.now();
  const spent = await ctx.database.db
    .updateTable("webauthn_ceremonies")
    .set({ used_at: now })
    .where("id_hash", "=", idHash(id))
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", kind)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .returningAll()
    .executeTakeFirst();
  if (spent === undefined) throw unusable(field);
  return spent;
}

/** Removes ceremonies that expired more than a day ago (the housekeeping sweep calls it). */
export async function sweepCeremonies(ctx: ServerContext): Promise<number> {
  const result = await ctx.database.db
    .deleteFrom("webauthn_ceremonies")
    .where("expires_at", "<", ctx.clock.now() - 24 * 3600_000)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
