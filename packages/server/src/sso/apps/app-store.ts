import type { Insertable, Kysely, Selectable } from "kysely";
import type { ClientMetadata } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { perDatabase, preparedQuery } from "../../storage/prepared-query.ts";
import type { Schema, SsoAppsTable } from "../../storage/schema.ts";
import type { App, AppGrantType, AppKind } from "./app.ts";

export type AppRow = Selectable<SsoAppsTable>;

/** The associated data a client secret is sealed under: a secret copied to another app does not open. */
export const secretSealedAs = (clientId: string) => `sso_apps.secret_enc:${clientId}`;

export function appOf(row: AppRow): App {
  return {
    clientId: row.client_id,
    tenantId: row.tenant_id,
    name: row.name,
    kind: row.kind as AppKind,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    grantTypes: JSON.parse(row.grant_types) as AppGrantType[],
    scopes: row.scopes.split(" ").filter((s) => s !== ""),
    secondFactors: JSON.parse(row.second_factors) as string[],
    requireSecondFactor: row.require_second_factor === 1,
    firstParty: row.first_party === 1,
    offlineGraceHours: Number(row.offline_grace_hours),
    webauthnOrigins: JSON.parse(row.webauthn_origins) as string[],
    hasSecret: row.secret_enc !== null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Prepared: every token request looks its client up (storage/prepared-query.ts). */
const appRowQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, { clientId: string; tenantId: string }, AppRow>(db, (p) =>
    db
      .selectFrom("sso_apps")
      .selectAll()
      .where("client_id", "=", p("clientId"))
      .where("tenant_id", "=", p("tenantId")),
  ),
);

/** The tenant's app with this client id; undefined for another tenant's (no oracle across tenants). */
export async function findAppRow(
  ctx: ServerContext,
  tenantId: string,
  clientId: string,
): Promise<AppRow | undefined> {
  return (await appRowQuery(ctx.database.db)({ clientId, tenantId }))[0];
}

export async function findApp(
  ctx: ServerContext,
  tenantId: string,
  clientId: string,
): Promise<App | undefined> {
  const row = await findAppRow(ctx, tenantId, clientId);
  return row === undefined ? undefined : appOf(row);
}

export async function insertApp(ctx: ServerContext, row: Insertable<SsoAppsTable>): Promise<void> {
  await ctx.database.db.insertInto("sso_apps").values(row).execute();
}

/**
 * What oidc-provider needs to know about the app. Public apps authenticate with `none` (PKCE is
 * required of every app by the provider configuration); a confidential app's secret is opened
 * here, per lookup, and never kept beside the row.
 */
export function clientMetadataOf(ctx: ServerContext, row: AppRow): ClientMetadata {
  const app = appOf(row);
  const grantTypes = [...app.grantTypes];
  const responseTypes: ClientMetadata["response_types"] = grantTypes.includes("authorization_code")
    ? ["code"]
    : [];
  const common: ClientMetadata = {
    client_id: app.clientId,
    client_name: app.name,
    redirect_uris: [...app.redirectUris],
    post_logout_redirect_uris: [...app.postLogoutRedirectUris],
    grant_types: grantTypes,
    response_types: responseTypes,
    scope: app.scopes.join(" "),
    application_type: app.kind === "native" ? "native" : "web",
    // A native program shows when its user signed in (the identity client's authenticationData):
    // every ID token it gets carries auth_time, not only those of a request with max_age.
    ...(app.kind === "native" ? { require_auth_time: true } : {}),
    "tessera:first_party": app.firstParty,
    "tessera:second_factors": [...app.secondFactors],
    "tessera:require_second_factor": app.requireSecondFactor,
    // Read when an ID token is signed (sso/provider/offline-grace-claim.ts).
    "tessera:offline_grace_hours": app.offlineGraceHours,
  };
  if (row.secret_enc === null) return { ...common, token_endpoint_auth_method: "none" };
  return {
    ...common,
    client_secret: ctx.keys.decrypt(row.secret_enc, secretSealedAs(app.clientId)).toString(),
    token_endpoint_auth_method: "client_secret_basic",
  };
}

/** The tenant's apps by client id, after `after`, at most `limit`. */
export async function listAppRows(
  ctx: ServerContext,
  tenantId: string,
  after: string | undefined,
  limit: number,
) {
  return ctx.database.db
    .selectFrom("sso_apps")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .$if(after !== undefined, (query) => query.where("client_id", ">", after as string))
    .orderBy("client_id")
    .limit(limit)
    .execute();
}
