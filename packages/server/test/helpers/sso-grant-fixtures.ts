import { randomBytes } from "node:crypto";
import * as oidc from "openid-client";
import type { ServerContext } from "../../src/app/server-context.ts";
import type { AppGrantType, AppKind } from "../../src/sso/apps/app.ts";
import { insertApp, secretSealedAs } from "../../src/sso/apps/app-store.ts";
import type { TestServer } from "./test-server.ts";

/** A server the tests reach at `url`, with a context on its database (in process or beside it). */
export interface SsoHost {
  readonly url: string;
  readonly server: { readonly ctx: ServerContext };
}

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
  s: SsoHost,
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
  const now = s.server.ctx.clock.now();
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

/** A user of the tenant who may sign in (created through the API). */
export async function createTestUser(s: TestServer, apiKey: string, username: string): Promise<string> {
  const created = await s.api("POST", "/v1/users", {
    apiKey,
    body: { username },
    scenario: "sso grants: a user to sign in",
  });
  const user = created.body.user as { id?: string } | undefined;
  if (created.body.errorCode !== 0 || user?.id === undefined)
    throw new Error(`user not created: ${JSON.stringify(created.body)}`);
  return user.id;
}

/** A browser's cookies for the issuer: every Set-Cookie kept, all sent back. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      this.#cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/** GET without following redirects, with the jar's cookies; the jar takes the new ones. */
export async function visit(url: string | URL, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
  jar.take(response);
  return response;
}

export interface CodeRequest {
  readonly verifier: string;
  readonly state: string;
  readonly url: URL;
}

/** An authorization request with PKCE S256 and a state, as openid-client builds it. */
export async function codeRequest(
  rp: oidc.Configuration,
  app: TestApp,
  extra: Record<string, string> = {},
): Promise<CodeRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: app.redirectUri,
    scope: "openid offline_access profile",
    prompt: "consent",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    ...extra,
  });
  return { verifier, state, url };
}

/**
 * Finishes a sign-in interaction as Tessera's pages do once the user passed every step: the
 * interaction's result names the account and a grant of the requested scopes, then the browser
 * follows the provider's resume URL. Returns the provider's answer to that: a redirect to the
 * app's callback with a code, or the device flow's success page.
 *
 * Part B's HTTP driver of the real pages (helpers/sso-sign-in.ts) replaces this once merged; the
 * grants under test are the same either way: the provider issues the code from this result.
 */
export async function finishSignIn(
  s: SsoHost,
  tenantId: string,
  interactionUrl: string,
  accountId: string,
  jar: CookieJar,
): Promise<Response> {
  const uid = new URL(interactionUrl, s.url).pathname.split("/").pop() ?? "";
  const provider = await s.server.ctx.sso.providerFor(tenantId);
  const interaction = await provider.Interaction.find(uid);
  if (interaction === undefined) throw new Error("no such interaction");
  const clientId = String(interaction.params.client_id);
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(String(interaction.params.scope ?? "openid"));
  const grantId = await grant.save();
  interaction.result = { login: { accountId }, consent: { grantId } };
  await interaction.save(Math.max(1, (interaction.exp ?? 0) - Math.floor(Date.now() / 1000)));
  return visit(new URL(interaction.returnTo, s.url), jar);
}

/** A form POST as a browser sends it, with the jar's cookies. */
export async function submit(
  url: string | URL,
  form: Record<string, string>,
  jar: CookieJar,
): Promise<Response> {
  const response = await fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  jar.take(response);
  return response;
}

/** An authorization code for `accountId`, through the authorization endpoint and a finished sign-in. */
export async function signInForCode(
  s: TestServer,
  tenantId: string,
  rp: oidc.Configuration,
  app: TestApp,
  accountId: string,
  extra: Record<string, string> = {},
): Promise<{ request: CodeRequest; callback: URL }> {
  const request = await codeRequest(rp, app, extra);
  const jar = new CookieJar();
  const started = await visit(request.url, jar);
  const location = started.headers.get("location");
  if (location === null) throw new Error(`authorization answered ${started.status}: ${await started.text()}`);
  const resumed = await finishSignIn(s, tenantId, location, accountId, jar);
  const callback = resumed.headers.get("location");
  if (callback === null) throw new Error(`resume answered ${resumed.status} without a redirect`);
  return { request, callback: new URL(callback, s.url) };
}
