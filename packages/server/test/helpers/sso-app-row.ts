import assert from "node:assert/strict";
import { recordObservedCode } from "@tessera/codes/coverage";
import type { ServerContext } from "../../src/app/server-context.ts";
import { secretSealedAs } from "../../src/sso/apps/app-store.ts";

export const APP_SECRET = "s3cret-s3cret-s3cret";

/**
 * A confidential app (client credentials and code grants) stored directly in sso_apps, for tests
 * of the provider's machinery that do not depend on how apps are managed.
 */
export async function insertAppRow(ctx: ServerContext, tenantId: string, clientId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.database.db
    .insertInto("sso_apps")
    .values({
      client_id: clientId,
      tenant_id: tenantId,
      name: "Back office",
      kind: "confidential",
      secret_enc: ctx.keys.encrypt(APP_SECRET, secretSealedAs(clientId)),
      redirect_uris: JSON.stringify(["https://app.example/cb"]),
      post_logout_redirect_uris: "[]",
      grant_types: JSON.stringify(["client_credentials", "authorization_code"]),
      scopes: "openid",
      second_factors: "[]",
      require_second_factor: 0,
      first_party: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** The Authorization header of the app's client authentication. */
export const basicAuth = (clientId: string) =>
  `Basic ${Buffer.from(`${clientId}:${APP_SECRET}`).toString("base64")}`;

/** A client-credentials grant over HTTP; returns the raw response. */
export const clientCredentials = (issuer: string, clientId: string) =>
  fetch(`${issuer}/token`, {
    method: "POST",
    headers: { authorization: basicAuth(clientId), "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&scope=openid",
  });

/**
 * A request to an issuer endpoint that is expected to fail with Tessera's envelope inside the
 * OAuth error. The code is recorded for the coverage report without its request: the issuer's
 * endpoints are oidc-provider's, not operations of /openapi.json, so the documented-codes gate
 * has no entry to hold them to.
 */
export async function issuerFailure(url: string, init: RequestInit, scenario: string) {
  const response = await fetch(url, init);
  const body = (await response.json()) as Record<string, unknown> & {
    errorCode: number;
    errorName: string;
    errorMessage: string;
  };
  assert.equal(typeof body.errorCode, "number", "errorCode");
  assert.equal(typeof body.errorName, "string", "errorName");
  assert.equal(typeof body.errorMessage, "string", "errorMessage");
  recordObservedCode("api", body.errorCode, scenario);
  return { status: response.status, headers: response.headers, body };
}
