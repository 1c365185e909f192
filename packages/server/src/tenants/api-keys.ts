import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";
import { type Tenant, toTenant } from "./tenant-store.ts";

/**
 * Tenant API keys read `tsk_<id>_<secret>`: the id finds the record, the 256-bit secret proves
 * possession. Only SHA-256 of the secret is stored: the secret is random and long, so a slow hash
 * would add cost without adding safety. Keys are shown once, at creation.
 */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

const keyPattern = /^tsk_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");
/** Recording every use would make each request a write; once a minute is enough to see activity. */
const LAST_USED_RESOLUTION_MS = 60_000;

export async function createApiKey(
  db: Kysely<Schema>,
  tenantId: string,
  name: string,
  now: number,
): Promise<{ apiKey: string; record: ApiKeyRecord }> {
  const id = randomBytes(10).toString("hex").slice(0, 16);
  const secret = randomBytes(32).toString("base64url");
  await db
    .insertInto("api_keys")
    .values({
      id,
      tenant_id: tenantId,
      name,
      secret_hash: hashSecret(secret),
      created_at: now,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
  return {
    apiKey: `tsk_${id}_${secret}`,
    record: { id, name, createdAt: now, revokedAt: null, lastUsedAt: null },
  };
}

/** The tenant a presented key belongs to, or undefined for a malformed, unknown or revoked key. */
export async function resolveApiKey(
  db: Kysely<Schema>,
  presented: string,
  now: number,
): Promise<{ tenant: Tenant; keyId: string } | undefined> {
  const match = keyPattern.exec(presented);
  if (match === null) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  const row = await db
    .selectFrom("api_keys")
    .innerJoin("tenants", "tenants.id", "api_keys.tenant_id")
    .selectAll("tenants")
    .select(["api_keys.secret_hash", "api_keys.revoked_at", "api_keys.last_used_at"])
    .where("api_keys.id", "=", id)
    .executeTakeFirst();
  if (row === undefined || row.revoked_at !== null) return undefined;
  const expected = Buffer.from(row.secret_hash, "hex");
  const actual = Buffer.from(hashSecret(secret), "hex");
  if (!timingSafeEqual(expected, actual)) return undefined;
  if (row.last_used_at === null || now - row.last_used_at > LAST_USED_RESOLUTION_MS) {
    await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id).execute();
  }
  return { tenant: toTenant(row), keyId: id };
}

export async function listApiKeys(db: Kysely<Schema>, tenantId: string): Promise<ApiKeyRecord[]> {
  const rows = await db
    .selectFrom("api_keys")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("created_at")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  }));
}

/** True when a live key of this tenant was revoked now. */
export async function revokeApiKey(
  db: Kysely<Schema>,
  tenantId: string,
  keyId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable("api_keys")
    .set({ revoked_at: now })
    .where("id", "=", keyId)
    .where("tenant_id", "=", tenantId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
