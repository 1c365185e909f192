import { createHash } from "node:crypto";
import type { Selectable } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { SsoSignInsTable } from "../../storage/schema.ts";
import { ssoLifetimes } from "../provider/provider-configuration.ts";

/**
 * The stored state of one sign-in through the pages (sign-in-machine.md): one row per
 * oidc-provider interaction, keyed by the SHA-256 of its uid and always read with the tenant, so a
 * uid of another tenant finds nothing. It lives as long as the interaction (ssoLifetimes.Interaction)
 * by the server clock; an expired row is as good as absent.
 */
export const signInSteps = [
  "password",
  "change-password",
  "factor",
  "enrol",
  "register-key",
  "consent",
  "done",
  "refused",
] as const;
export type SignInStep = (typeof signInSteps)[number];
export type SignInRow = Selectable<SsoSignInsTable>;

export const uidHash = (uid: string): string => createHash("sha256").update(uid).digest("base64url");

export async function findSignIn(
  ctx: ServerContext,
  tenantId: string,
  uid: string,
): Promise<SignInRow | undefined> {
  return ctx.database.db
    .selectFrom("sso_sign_ins")
    .selectAll()
    .where("uid_hash", "=", uidHash(uid))
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
}

/**
 * The row for a new interaction, at the password step, or at the consent step for a browser whose
 * provider session already satisfied the login (`signedIn`); an existing row is returned as it is.
 */
export async function startSignIn(
  ctx: ServerContext,
  tenantId: string,
  uid: string,
  clientId: string,
  signedIn?: { readonly userId: string; readonly amr: readonly string[] },
): Promise<SignInRow | undefined> {
  const now = ctx.clock.now();
  await ctx.database.db
    .insertInto("sso_sign_ins")
    .values({
      uid_hash: uidHash(uid),
      tenant_id: tenantId,
      client_id: clientId,
      step: signedIn === undefined ? "password" : "consent",
      user_id: signedIn?.userId ?? null,
      amr: JSON.stringify(signedIn?.amr ?? []),
      enrol_id: null,
      created_at: now,
      updated_at: now,
      expires_at: now + ssoLifetimes.Interaction * 1000,
    })
    .onConflict((oc) => oc.column("uid_hash").doNothing())
    .execute();
  return findSignIn(ctx, tenantId, uid);
}

export interface StepChange {
  readonly step: SignInStep;
  readonly userId?: string;
  readonly amr?: readonly string[];
  readonly enrolId?: string | null;
}

/**
 * Moves the sign-in from `from` to the next step: a compare-and-set on the step, the user and
 * the expiry, so of two concurrent posts to one step exactly one moves it, and a step is never
 * left twice. Returns the updated row, or undefined when another request got there first.
 */
export async function moveSignIn(
  ctx: ServerContext,
  row: SignInRow,
  change: StepChange,
): Promise<SignInRow | undefined> {
  const now = ctx.clock.now();
  let query = ctx.database.db
    .updateTable("sso_sign_ins")
    .set({
      step: change.step,
      updated_at: now,
      ...(change.userId === undefined ? {} : { user_id: change.userId }),
      ...(change.amr === undefined ? {} : { amr: JSON.stringify(change.amr) }),
      ...(change.enrolId === undefined ? {} : { enrol_id: change.enrolId }),
    })
    .where("uid_hash", "=", row.uid_hash)
    .where("tenant_id", "=", row.tenant_id)
    .where("step", "=", row.step)
    .where("expires_at", ">", now);
  query =
    row.user_id === null ? query.where("user_id", "is", null) : query.where("user_id", "=", row.user_id);
  return query.returningAll().executeTakeFirst();
}

export const amrOf = (row: SignInRow): string[] => JSON.parse(row.amr) as string[];
