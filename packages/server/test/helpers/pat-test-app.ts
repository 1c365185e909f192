import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import * as oidc from "openid-client";
import type { ServerContext } from "../../src/app/server-context.ts";
import { type AppGrantType, PAT_GRANT_TYPE } from "../../src/sso/apps/app.ts";
import { secretSealedAs } from "../../src/sso/apps/app-store.ts";
import type { Schema } from "../../src/storage/schema.ts";

/**
 * An app row written straight to the database (until `/v1/apps` exists on this branch): by
 * default a confidential app that may exchange personal access tokens.
 */
export async function insertTestApp(
  ctx: Pick<ServerContext, "keys"> & { database: { db: Kysely<Schema> } },
  tenantId: string,
  now: number,
  options: { grantTypes?: readonly AppGrantType[]; scopes?: string; secret?: string } = {},
): Promise<{ clientId: string; secret: string }> {
  const clientId = `app-${randomBytes(6).toString("hex")}`;
  const secret = options.secret ?? randomBytes(24).toString("base64url");
  await ctx.database.db
    .insertInto("sso_apps")
    .values({
      client_id: clientId,
      tenant_id: tenantId,
      name: "Command-line tool",
      kind: "confidential",
      secret_enc: ctx.keys.encrypt(secret, secretSealedAs(clientId)),
      redirect_uris: "[]",
      post_logout_redirect_uris: "[]",
      grant_types: JSON.stringify(options.grantTypes ?? [PAT_GRANT_TYPE]),
      scopes: options.scopes ?? "openid profile email",
      second_factors: "[]",
      require_second_factor: 0,
      first_party: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { clientId, secret };
}

/** openid-client's configuration for the app at the tenant's issuer (plain http on loopback). */
export function rpFor(baseUrl: string, tenantId: string, app: { clientId: string; secret: string }) {
  return oidc.discovery(new URL(`/oidc/${tenantId}`, baseUrl), app.clientId, app.secret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}
