import { createHash, randomBytes, randomUUID } from "node:crypto";
import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { publicLink } from "../app/public-url.ts";
import type { ServerContext } from "../app/server-context.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import type { UserRow } from "../users/user-store.ts";

/**
 * One-time enrolment links for push devices: 256 random bits (the brief asks for at least 128),
 * stored as their SHA-256 only, valid for 10 minutes, spent by the compare-and-set in
 * spendEnrolment so that of any number of concurrent enrolments with one code, in one process or
 * many, exactly one creates a device.
 */
export const ENROLMENT_TTL_MS = 10 * 60_000;
const codePattern = /^[A-Za-z0-9_-]{43}$/;
const codeHash = (code: string) => createHash("sha256").update(code).digest("hex");

export interface Enrolment {
  readonly enrolmentUrl: string;
  readonly expiresAt: number;
}

export async function createEnrolment(ctx: ServerContext, tenant: Tenant, user: UserRow): Promise<Enrolment> {
  const code = randomBytes(32).toString("base64url");
  const now = ctx.clock.now();
  const expiresAt = now + ENROLMENT_TTL_MS;
  await ctx.database.db
    .insertInto("push_enrolments")
    .values({
      id: randomUUID(),
      code_hash: codeHash(code),
      tenant_id: tenant.id,
      user_id: user.id,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
      authenticator_id: null,
    })
    .execute();
  return { enrolmentUrl: publicLink(ctx.publicUrl, `/app/v1/enrolments/${code}`), expiresAt };
}

export type OpenEnrolment = { readonly id: string; readonly tenantId: string; readonly userId: string };

/** The open enrolment of a code: NotFound (unknown or expired) or DeviceAlreadyProvisioned (spent). */
export async function openEnrolment(ctx: ServerContext, code: string): Promise<OpenEnrolment> {
  const row = codePattern.test(code)
    ? await ctx.database.db
        .selectFrom("push_enrolments")
        .selectAll()
        .where("code_hash", "=", codeHash(code))
        .executeTakeFirst()
    : undefined;
  if (row === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, { message: "no such enrolment link" });
  if (row.used_at !== null)
    throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
      message: "this enrolment link was already used; ask for a new one",
    });
  if (row.expires_at <= ctx.clock.now())
    throw new TesseraError(TesseraApiCode.NotFound, { message: "this enrolment link has expired" });
  return { id: row.id, tenantId: row.tenant_id, userId: row.user_id };
}

/**
 * Spends the link for `authenticatorId`, once: false when another enrolment spent it first or it
 * expired meanwhile. Run inside the transaction that inserts the device, so a lost race inserts
 * nothing.
 */
export async function spendEnrolment(
  db: ServerContext["database"]["db"],
  id: string,
  authenticatorId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable("push_enrolments")
    .set({ used_at: now, authenticator_id: authenticatorId })
    .where("id", "=", id)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
