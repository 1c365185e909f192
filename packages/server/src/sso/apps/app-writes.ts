import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Transaction } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import { requireAppOriginsUnderRpId } from "../../authenticators/webauthn/relying-party.ts";
import type { Schema } from "../../storage/schema.ts";
import { requireRoomInTenant } from "../../tenants/tenant-cap.ts";
import type { App, AppSettings } from "./app.ts";
import { type AppChangesInput, DEFAULT_OFFLINE_GRACE_HOURS, type NewAppInput } from "./app-input.ts";
import { normalScopes, requireValidApp } from "./app-rules.ts";
import { newClientId, newClientSecret } from "./app-secrets.ts";
import { type AppRow, appOf } from "./app-store.ts";

/**
 * Registering, changing, deleting apps and rotating their secrets, for the API and the CLI alike
 * (both validated the input with app-input.ts's schemas first). Every write is one transaction:
 * a refusal leaves nothing behind.
 */
export type FieldName = (name: string) => string;
const bodyField: FieldName = (name) => `body.${name}`;

/** An app and, for a confidential one on creation or rotation, its secret: shown this once. */
export interface AppWithSecret {
  readonly app: App;
  readonly clientSecret?: string;
}

const settingsColumns = (s: AppSettings) => ({
  name: s.name,
  redirect_uris: JSON.stringify(s.redirectUris),
  post_logout_redirect_uris: JSON.stringify(s.postLogoutRedirectUris),
  grant_types: JSON.stringify(s.grantTypes),
  scopes: normalScopes(s.scopes).join(" "),
  second_factors: JSON.stringify(s.secondFactors),
  require_second_factor: s.requireSecondFactor ? 1 : 0,
  first_party: s.firstParty ? 1 : 0,
  offline_grace_hours: s.offlineGraceHours,
  webauthn_origins: JSON.stringify(s.webauthnOrigins ?? []),
});

/** Another tenant's app is NotFound exactly like an unknown client id: its existence is not revealed. */
export const appNotFound = (clientId: string, field: string) =>
  new TesseraError(TesseraApiCode.NotFound, { message: `no app ${clientId}`, field });

/**
 * Registers the app within the tenant's cap (sso.maxAppsPerTenant), counted and inserted in one
 * transaction that locks the tenant (tenants/tenant-cap.ts).
 */
export async function createApp(
  ctx: ServerContext,
  tenantId: string,
  input: NewAppInput,
  field: FieldName = bodyField,
): Promise<AppWithSecret> {
  const settings: AppSettings = {
    kind: input.kind,
    name: input.name,
    redirectUris: input.redirectUris ?? [],
    postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
    grantTypes: input.grantTypes ?? ["authorization_code"],
    scopes: normalScopes(input.scopes ?? []),
    secondFactors: input.secondFactors ?? [],
    requireSecondFactor: input.requireSecondFactor ?? false,
    // The tenant's own app unless said otherwise: its users are not asked for consent.
    firstParty: input.firstParty ?? true,
    offlineGraceHours: input.offlineGraceHours ?? DEFAULT_OFFLINE_GRACE_HOURS,
    webauthnOrigins: input.webauthnOrigins ?? [],
  };
  requireValidApp(settings, field);
  await requireAppOriginsUnderRpId(ctx, tenantId, settings.webauthnOrigins ?? [], field);
  const clientId = newClientId();
  const secret = input.kind === "confidential" ? newClientSecret(ctx, clientId) : undefined;
  const now = ctx.clock.now();
  const row: AppRow = {
    client_id: clientId,
    tenant_id: tenantId,
    kind: input.kind,
    secret_enc: secret?.sealed ?? null,
    ...settingsColumns(settings),
    created_at: now,
    updated_at: now,
  };
  const max = ctx.config.sso.maxAppsPerTenant;
  await ctx.database.db.transaction().execute(async (trx) => {
    await requireRoomInTenant(
      ctx,
      trx,
      { table: "sso_apps", tenantId, max },
      () =>
        new TesseraError(TesseraApiCode.AppLimitReached, {
          message: `the tenant already has ${max} apps, the most allowed (sso.maxAppsPerTenant); delete one first`,
        }),
    );
    await trx.insertInto("sso_apps").values(row).execute();
  });
  return { app: appOf(row), ...(secret === undefined ? {} : { clientSecret: secret.secret }) };
}

/** The app's row locked for the rest of the transaction (PostgreSQL; SQLite writes one at a time). */
async function lockedRow(ctx: ServerContext, trx: Transaction<Schema>, tenantId: string, clientId: string) {
  return trx
    .selectFrom("sso_apps")
    .selectAll()
    .where("client_id", "=", clientId)
    .where("tenant_id", "=", tenantId)
    .$if(ctx.database.dialect === "postgres", (query) => query.forUpdate())
    .executeTakeFirst();
}

/** Applies the changes and checks the result as a whole; NotFound for another tenant's app. */
export async function updateApp(
  ctx: ServerContext,
  tenantId: string,
  clientId: string,
  changes: AppChangesInput,
  field: FieldName = bodyField,
  idField = "params.clientId",
): Promise<App> {
  // Before the transaction: it reads the tenant, which on SQLite must not wait on our own write lock.
  if (changes.webauthnOrigins !== undefined)
    await requireAppOriginsUnderRpId(ctx, tenantId, changes.webauthnOrigins, field);
  return ctx.database.db.transaction().execute(async (trx) => {
    const row = await lockedRow(ctx, trx, tenantId, clientId);
    if (row === undefined) throw appNotFound(clientId, idField);
    const settings: AppSettings = { ...appOf(row), ...changes };
    requireValidApp(settings, field);
    const updated = { ...row, ...settingsColumns(settings), updated_at: ctx.clock.now() };
    await trx
      .updateTable("sso_apps")
      .set({ ...settingsColumns(settings), updated_at: updated.updated_at })
      .where("client_id", "=", clientId)
      .where("tenant_id", "=", tenantId)
      .execute();
    return appOf(updated);
  });
}

/**
 * A new secret for a confidential app; the old one stops working at once (oidc-provider reads the
 * client on every request, and its client cache is keyed by the metadata, secret included).
 */
export async function rotateAppSecret(
  ctx: ServerContext,
  tenantId: string,
  clientId: string,
  idField = "params.clientId",
): Promise<AppWithSecret> {
  return ctx.database.db.transaction().execute(async (trx) => {
    const row = await lockedRow(ctx, trx, tenantId, clientId);
    if (row === undefined) throw appNotFound(clientId, idField);
    if (row.secret_enc === null)
      throw new TesseraError(TesseraApiCode.MalformedRequest, {
        message: `app ${clientId} is ${row.kind}: a public app has no secret (it proves itself with PKCE)`,
        field: idField,
      });
    const secret = newClientSecret(ctx, clientId);
    const now = ctx.clock.now();
    await trx
      .updateTable("sso_apps")
      .set({ secret_enc: secret.sealed, updated_at: now })
      .where("client_id", "=", clientId)
      .where("tenant_id", "=", tenantId)
      .execute();
    return {
      app: appOf({ ...row, secret_enc: secret.sealed, updated_at: now }),
      clientSecret: secret.secret,
    };
  });
}

/**
 * Deletes the app and, in the same transaction, everything it was issued (codes, access and
 * refresh tokens, grants, device codes: every sso_models row naming its client id) and what other
 * apps exchanged its tokens for, so no token of a deleted app, or of its sign-ins, stays active.
 */
export async function deleteApp(
  ctx: ServerContext,
  tenantId: string,
  clientId: string,
  idField = "params.clientId",
): Promise<App> {
  return ctx.database.db.transaction().execute(async (trx) => {
    const row = await lockedRow(ctx, trx, tenantId, clientId);
    if (row === undefined) throw appNotFound(clientId, idField);
    await trx
      .deleteFrom("sso_apps")
      .where("client_id", "=", clientId)
      .where("tenant_id", "=", tenantId)
      .execute();
    // Tokens that other apps got by exchanging this app's tokens (sso/grants/token-exchange.ts)
    // are filed under this app's grants (grant_id): they go first, while those grants are known.
    // Only the grants of this app's own tokens: a Grant row of this app that names a grant is one
    // it got as an exchange's target, filed under ANOTHER app's sign-in, which goes on.
    await trx
      .deleteFrom("sso_models")
      .where("tenant_id", "=", tenantId)
      .where("grant_id", "in", (eb) =>
        eb
          .selectFrom("sso_models as own")
          .select("own.grant_id")
          .where("own.tenant_id", "=", tenantId)
          .where("own.client_id", "=", clientId)
          .where("own.model", "!=", "Grant")
          .where("own.grant_id", "is not", null),
      )
      .execute();
    await trx
      .deleteFrom("sso_models")
      .where("tenant_id", "=", tenantId)
      .where("client_id", "=", clientId)
      .execute();
    return appOf(row);
  });
}
