import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Kysely, Selectable } from "kysely";
import type { AccessPoliciesTable, Schema } from "../storage/schema.ts";
import type { AccessPolicy, OnError, PolicyRules } from "./policy-rules.ts";

/** The tenant-wide policy's scope key; an app's is its client id (migration 017). */
export const TENANT_SCOPE = "";
export const scopeKeyOf = (clientId: string | undefined) => clientId ?? TENANT_SCOPE;

export type PolicyRow = Selectable<AccessPoliciesTable>;

/** The stored rules; a row changed outside Tessera so that it no longer parses is a storage fault. */
function rulesOf(row: PolicyRow): PolicyRules {
  try {
    return JSON.parse(row.rules) as PolicyRules;
  } catch {
    throw new TesseraError(ApiReturnCode.DatabaseError, {
      message: "the stored policy does not parse; replace it (PUT) or delete it",
    });
  }
}

/**
 * The policy a row holds, for the API and the CLI. The evaluation parses rows itself: there a row
 * that does not parse is a policy that cannot be evaluated (SSOPolicyException), not a fault.
 */
export function policyOf(row: PolicyRow): AccessPolicy {
  return {
    tenantId: row.tenant_id,
    clientId: row.client_id ?? undefined,
    rules: rulesOf(row),
    onError: row.on_error as OnError,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The tenant-wide policy and the app's (when a client id is given), tenant-wide first. */
export async function policyRowsFor(
  db: Kysely<Schema>,
  tenantId: string,
  clientId: string | undefined,
): Promise<PolicyRow[]> {
  const rows = await db
    .selectFrom("access_policies")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("scope_key", "in", clientId === undefined ? [TENANT_SCOPE] : [TENANT_SCOPE, clientId])
    .execute();
  return rows.toSorted((a, b) => (a.scope_key === TENANT_SCOPE ? -1 : b.scope_key === TENANT_SCOPE ? 1 : 0));
}

export async function findPolicyRow(
  db: Kysely<Schema>,
  tenantId: string,
  clientId: string | undefined,
): Promise<PolicyRow | undefined> {
  return db
    .selectFrom("access_policies")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("scope_key", "=", scopeKeyOf(clientId))
    .executeTakeFirst();
}

/** Creates or replaces the policy (PUT): one statement, so two concurrent PUTs leave one of them whole. */
export async function putPolicy(
  db: Kysely<Schema>,
  tenantId: string,
  clientId: string | undefined,
  rules: PolicyRules,
  onError: OnError,
  now: number,
): Promise<PolicyRow> {
  const text = JSON.stringify(rules);
  return db
    .insertInto("access_policies")
    .values({
      tenant_id: tenantId,
      scope_key: scopeKeyOf(clientId),
      client_id: clientId ?? null,
      rules: text,
      on_error: onError,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["tenant_id", "scope_key"]).doUpdateSet({ rules: text, on_error: onError, updated_at: now }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deletePolicy(
  db: Kysely<Schema>,
  tenantId: string,
  clientId: string | undefined,
): Promise<boolean> {
  const result = await db
    .deleteFrom("access_policies")
    .where("tenant_id", "=", tenantId)
    .where("scope_key", "=", scopeKeyOf(clientId))
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Counts one sign-in against a daily allowance, atomically: the row is created at 1 or raised by
 * one only while it is below `max`, in one upsert, so concurrent sign-ins (in any number of
 * processes) can never take the count past the limit. Returns false when the allowance is used up.
 */
export async function countSignIn(
  db: Kysely<Schema>,
  key: { tenantId: string; scopeKey: string; userId: string; day: string },
  max: number,
  now: number,
): Promise<boolean> {
  const row = await db
    .insertInto("access_policy_sign_ins")
    .values({
      tenant_id: key.tenantId,
      scope_key: key.scopeKey,
      user_id: key.userId,
      day: key.day,
      count: 1,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(["tenant_id", "scope_key", "user_id", "day"])
        .doUpdateSet((eb) => ({ count: eb("access_policy_sign_ins.count", "+", 1), updated_at: now }))
        .where("access_policy_sign_ins.count", "<", max),
    )
    .returning("count")
    .executeTakeFirst();
  return row !== undefined && row.count <= max;
}
