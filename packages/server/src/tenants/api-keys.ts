import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
import type { Schema, TenantsTable } from "../storage/schema.ts";
import { decodeScopes, encodeScopes, type Scope } from "./key-scopes.ts";
import { lockedUntil } from "./source-lockout.ts";
import { type Tenant, toTenant } from "./tenant-store.ts";

/**
 * Tenant API keys read `tsk_<id>_<secret>`: the id finds the record, the 256-bit secret proves
 * possession. Only SHA-256 of the secret is stored: the secret is random and long, so a slow hash
 * would add cost without adding safety. Keys are shown once, at creation.
 */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
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
  scopes: readonly Scope[],
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
      scopes: encodeScopes(scopes),
      secret_hash: hashSecret(secret),
      created_at: now,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
  return {
    apiKey: `tsk_${id}_${secret}`,
    record: {
      id,
      name,
      scopes: decodeScopes(encodeScopes(scopes)),
      createdAt: now,
      revokedAt: null,
      lastUsedAt: null,
    },
  };
}

export type KeyResolution =
  | {
      readonly kind: "ok";
      readonly tenant: Tenant;
      readonly keyId: string;
      readonly scopes: Scope[];
      readonly sourceLockedUntil: number | null;
    }
  | { readonly kind: "invalid"; readonly sourceLockedUntil: number | null };

/**
 * What a presented key from `source` is worth: its tenant when it verifies (whatever the source's
 * lockout: a valid key is never locked out by other clients' failures), or nothing (malformed,
 * unknown, revoked, wrong secret) with the source's lockout, read by the same statement as the key
 * so that a bad key from a locked source costs one read and no write.
 */
export async function resolveApiKey(
  db: Kysely<Schema>,
  presented: string,
  source: string,
  now: number,
): Promise<KeyResolution> {
  const match = keyPattern.exec(presented);
  const [row] = match === null ? [] : await keyQuery(db)({ id: match[1] as string, source });
  if (match === null || row === undefined)
    return { kind: "invalid", sourceLockedUntil: (await lockedUntil(db, source, now)) ?? null };
  const sourceLockedUntil = row.source_locked_until === null ? null : Number(row.source_locked_until);
  if (row.revoked_at !== null) return { kind: "invalid", sourceLockedUntil };
  const [, id, secret] = match as unknown as [string, string, string];
  const expected = Buffer.from(row.secret_hash, "hex");
  const actual = Buffer.from(hashSecret(secret), "hex");
  if (!timingSafeEqual(expected, actual)) return { kind: "invalid", sourceLockedUntil };
  if (row.last_used_at === null || now - row.last_used_at > LAST_USED_RESOLUTION_MS) {
    await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id).execute();
  }
  return {
    kind: "ok",
    tenant: toTenant(row),
    keyId: id,
    scopes: decodeScopes(row.scopes),
    sourceLockedUntil,
  };
}

type KeyRow = TenantsTable & {
  secret_hash: string;
  scopes: string;
  revoked_at: number | null;
  last_used_at: number | null;
  source_locked_until: number | null;
};
const keyQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, { id: string; source: string }, KeyRow>(db, (p) =>
    db
      .selectFrom("api_keys")
      .innerJoin("tenants", "tenants.id", "api_keys.tenant_id")
      .selectAll("tenants")
      .select(["api_keys.secret_hash", "api_keys.scopes", "api_keys.revoked_at", "api_keys.last_used_at"])
      .select((eb) =>
        eb
          .selectFrom("source_failures")
          .select("locked_until")
          .where("source", "=", p("source"))
          .as("source_locked_until"),
      )
      .where("api_keys.id", "=", p("id")),
  ),
);

/**
 * A page of a tenant's API keys, oldest first: `limit` keys after the key `after` ([createdAt, id]);
 * keys created in the same millisecond are ordered by id, so the order is total.
 */
export async function listApiKeys(
  db: Kysely<Schema>,
  tenantId: string,
  page: { after?: readonly [number, string] | undefined; limit: number },
): Promise<ApiKeyRecord[]> {
  let query = db.selectFrom("api_keys").selectAll().where("tenant_id", "=", tenantId);
  const after = page.after;
  if (after !== undefined)
    query = query.where(({ eb, refTuple, tuple }) =>
      eb(refTuple("created_at", "id"), ">", tuple(after[0], after[1])),
    );
  const rows = await query.orderBy("created_at").orderBy("id").limit(page.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scopes: decodeScopes(r.scopes),
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
