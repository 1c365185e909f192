import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { activateAuthenticator } from "../../authenticators/activate-authenticator.ts";
import { openSecret } from "../../authenticators/authenticator-secret.ts";
import { type AuthenticatorRow, deleteAuthenticator } from "../../authenticators/authenticator-store.ts";
import { createAuthenticator } from "../../authenticators/create-authenticator.ts";
import { encodeBase32 } from "../../authenticators/oath/base32.ts";
import { oathType } from "../../authenticators/registry.ts";
import { stateOf } from "../../authenticators/validate-otp.ts";
import { type ActivationState, appsOf, assignApps, attachToken, moveActivation } from "./activation-store.ts";
import type { OpenActivation } from "./open-activation.ts";

/**
 * The steps of an activation: password, then a TOTP token confirmed by its first code, then done
 * (the apps are assigned). Each step is taken only from the state it belongs to, and taken by
 * compare-and-set, so a skipped, replayed or concurrent post changes nothing.
 */
export function requireStep(open: OpenActivation, step: ActivationState): void {
  if (open.row.state !== step)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `this activation is not at the ${step} step`,
      field: "body.step",
    });
}

const stepTaken = () =>
  new TesseraError(TesseraApiCode.MalformedRequest, {
    message: "this step was just completed by another request",
    field: "body.step",
  });

/** Sets the first password and moves to the token step, in one transaction. */
export async function takePasswordStep(ctx: ServerContext, open: OpenActivation, password: string) {
  requireStep(open, "password");
  const passwordHash = await ctx.passwords.hash(password);
  const now = ctx.clock.now();
  await ctx.database.db.transaction().execute(async (trx) => {
    if (!(await moveActivation(trx, open.row, "password", "totp", now))) throw stepTaken();
    // Only an account without a password is activated: one set meanwhile some other way stays.
    const set = await trx
      .updateTable("users")
      .set({ password_hash: passwordHash, password_changed_at: now, updated_at: now })
      .where("id", "=", open.user.id)
      .where("password_hash", "is", null)
      .executeTakeFirst();
    if (Number(set.numUpdatedRows) !== 1) throw stepTaken();
  });
}

export interface Enrolment {
  readonly provisioningUri: string;
  readonly secret: string;
}

/**
 * The activation's TOTP token, created on first need: the page shows its secret until a code from
 * it is confirmed (only the holder of the activation id sees it). Of concurrent creations, the one
 * recorded first is kept and the others are deleted.
 */
export async function enrolment(ctx: ServerContext, open: OpenActivation): Promise<Enrolment> {
  const db = ctx.database.db;
  let row = await tokenOf(ctx, open.row.authenticator_id);
  if (row === undefined) {
    const created = await createAuthenticator(ctx, open.tenant, { type: "totp" }, open.user);
    if (!(await attachToken(db, open.row, created.row.id))) await deleteAuthenticator(db, created.row.id);
    const reread = await db
      .selectFrom("sso_activations")
      .select("authenticator_id")
      .where("id_hash", "=", open.row.id_hash)
      .executeTakeFirstOrThrow();
    row = await tokenOf(ctx, reread.authenticator_id);
    if (row === undefined) throw stepTaken();
  }
  const secret = openSecret(ctx, row).export();
  const state = stateOf(row);
  return {
    secret: encodeBase32(secret),
    provisioningUri: oathType(row.type).provisioningUri(
      secret,
      { algorithm: state.algorithm, digits: row.digits, period: row.period },
      state,
      open.tenant.name,
      open.user.username,
    ),
  };
}

const tokenOf = async (ctx: ServerContext, id: string | null): Promise<AuthenticatorRow | undefined> =>
  id === null
    ? undefined
    : ctx.database.db.selectFrom("authenticators").selectAll().where("id", "=", id).executeTakeFirst();

/**
 * Confirms the token with its first code (the same checks and attempt limit as any activation of
 * a token), then ends the activation and assigns its apps; returns the apps for the last page.
 */
export async function takeTotpStep(ctx: ServerContext, open: OpenActivation, otp: string) {
  requireStep(open, "totp");
  const row = await tokenOf(ctx, open.row.authenticator_id);
  if (row === undefined) throw stepTaken();
  await activateAuthenticator(ctx, open.tenant, row, [{ field: "body.otp", otp }], "activate");
  const now = ctx.clock.now();
  const apps = await appsOf(ctx.database.db, open.row);
  await ctx.database.db.transaction().execute(async (trx) => {
    if (!(await moveActivation(trx, open.row, "totp", "done", now))) throw stepTaken();
    await assignApps(
      trx,
      open.row,
      apps.map((a) => a.clientId),
      now,
    );
  });
  return apps;
}
