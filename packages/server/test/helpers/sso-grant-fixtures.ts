import { randomBytes } from "node:crypto";
import * as oidc from "openid-client";
import type { AppGrantType, AppKind } from "../../src/sso/apps/app.ts";
import { insertApp, secretSealedAs } from "../../src/sso/apps/app-store.ts";
import type { TestServer } from "./test-server.ts";

/**
 * Apps and relying parties for the grant tests. Apps are stored rows (part A's `/v1/apps` builds
 * the same rows); the relying party is openid-client over plain HTTP on loopback.
 */
export interface TestApp {
  readonly clientId: string;
  readonly secret: string | undefined;
  readonly issuer: URL;
  readonly redirectUri: string;
}

let appCounter = 0;

export async function createTestApp(
  s: TestServer,
  tenantId: string,
  options: {
    kind?: AppKind;
    grantTypes?: AppGrantType[];
    scopes?: string;
    redirectUris?: string[];
  } = {},
): Promise<TestApp> {
  appCounter += 1;
  const kind = options.kind ?? "confidential";
  const clientId = `app-${process.pid}-${appCounter}-${randomBytes(4).toString("hex")}`;
  const secret = kind === "confidential" ? randomBytes(24).toString("base64url") : undefined;
  const redirectUris = options.redirectUris ?? ["http://127.0.0.1/callback"];
  const now = s.clock.now();
  await insertApp(s.server.ctx, {
    client_id: clientId,
    tenant_id: tenantId,
    name: `App ${appCounter}`,
    kind,
    secret_enc: secret === undefined ? null : s.server.ctx.keys.encrypt(secret, secretSealedAs(clientId)),
    redirect_uris: JSON.stringify(redirectUris),
    post_logout_redirect_uris: "[]",
    grant_types: JSON.stringify(options.grantTypes ?? ["authorization_code", "refresh_token"]),
    scopes: options.scopes ?? "openid offline_access profile email",
    second_factors: "[]",
    require_second_factor: 0,
    first_party: 1,
    created_at: now,
    updated_at: now,
  });
  return {
    clientId,
    secret,
    issuer: new URL(`/oidc/${tenantId}`, s.url),
    redirectUri: redirectUris[0] ?? "",
  };
}

/** openid-client's configuration for the app (plain HTTP is allowed: the tests run on loopback). */
export async function relyingParty(app: TestApp, secret = app.secret): Promise<oidc.Configuration> {
  return oidc.discovery(
    app.issuer,
    app.clientId,
    secret === undefined ? undefined : { client_secret: secret },
    secret === undefined ? oidc.None() : oidc.ClientSecretBasic(secret),
    { execute: [oidc.allowInsecureRequests] },
  );
}

/** A token-endpoint request sent by hand (for what openid-client would refuse to send). */
export async function tokenRequest(
  app: TestApp,
  form: Record<string, string>,
  secret = app.secret,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  const body = new URLSearchParams(form);
  if (secret === undefined) body.set("client_id", app.clientId);
  else
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
  const response = await fetch(`${app.issuer.href}/token`, { method: "POST", headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
