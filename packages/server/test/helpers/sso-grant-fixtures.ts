import { randomBytes } from "node:crypto";
import * as oidc from "openid-client";
import type { ServerContext } from "../../src/app/server-context.ts";
import { encodeBase32 } from "../../src/authenticators/oath/base32.ts";
import type { AppGrantType, AppKind } from "../../src/sso/apps/app.ts";
import { insertApp, secretSealedAs } from "../../src/sso/apps/app-store.ts";
import { oathtoolTotp } from "./oathtool.ts";
import { Browser, fill, formsOf, type Page, type SsoSignInOptions } from "./sso-sign-in.ts";
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
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    ...extraHeaders,
  };
  const body = new URLSearchParams(form);
  if (secret === undefined) body.set("client_id", app.clientId);
  else
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
  const response = await fetch(`${app.issuer.href}/token`, { method: "POST", headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A user of the tenant who signs in with a password and a TOTP token (oathtool computes its codes). */
export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly totpHex: string;
}

/** Creates the user and its TOTP token through the API. */
export async function createTestUser(s: TestServer, apiKey: string, username: string): Promise<TestUser> {
  const password = `pw ${randomBytes(9).toString("base64url")}`;
  const totpHex = randomBytes(20).toString("hex");
  const created = await s.api("POST", "/v1/users", {
    apiKey,
    body: { username, password },
    scenario: "sso grants: a user to sign in",
  });
  const user = created.body.user as { id?: string } | undefined;
  if (created.body.errorCode !== 0 || user?.id === undefined)
    throw new Error(`user not created: ${JSON.stringify(created.body)}`);
  const token = await s.api("POST", "/v1/authenticators", {
    apiKey,
    body: { type: "totp", secret: encodeBase32(Buffer.from(totpHex, "hex")), username },
    scenario: "sso grants: a user to sign in",
  });
  if (token.body.errorCode !== 0) throw new Error(`token not created: ${JSON.stringify(token.body)}`);
  return { id: user.id, username, password, totpHex };
}

/** What the sign-in pages are filled with (part B's helper fills them). */
export function pageAnswers(s: TestServer, tenantId: string, app: TestApp, user: TestUser): SsoSignInOptions {
  return {
    baseUrl: s.url,
    tenantId,
    clientId: app.clientId,
    redirectUri: app.redirectUri,
    username: user.username,
    password: user.password,
    // A TOTP code is good once per time step: each sign-in takes the next step.
    otp: () => {
      s.clock.advance(30_000);
      return oathtoolTotp(user.totpHex, s.clock.now());
    },
  };
}

/**
 * Fills the sign-in pages from `at` on (password, second factor, consent) until the browser is
 * sent to the app's redirect URI, or a page without a step form is shown (the device flow's
 * success page).
 */
export async function passSignInPages(
  browser: Browser,
  at: Page | { callback: URL },
  answers: SsoSignInOptions,
): Promise<Page | { callback: URL }> {
  const steps = new Set(["password", "factor", "enrol", "change-password", "consent"]);
  for (let n = 0; n < 8; n++) {
    if ("callback" in at) return at;
    if (!formsOf(at).some((form) => steps.has(form.step))) return at;
    const { form, fields } = fill(at, answers);
    at = await browser.follow(form.action, answers.redirectUri, { method: "POST", form: fields });
  }
  throw new Error("the sign-in did not end");
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

/** A user's authorization code for the app: the authorization request, then the sign-in pages. */
export async function signInForCode(
  s: TestServer,
  tenantId: string,
  rp: oidc.Configuration,
  app: TestApp,
  user: TestUser,
  extra: Record<string, string> = {},
): Promise<{ request: CodeRequest; callback: URL }> {
  const request = await codeRequest(rp, app, extra);
  const browser = new Browser();
  const answers = pageAnswers(s, tenantId, app, user);
  const end = await passSignInPages(browser, await browser.follow(request.url, app.redirectUri), answers);
  if (!("callback" in end)) throw new Error(`the sign-in ended on ${end.url.pathname} (${end.status})`);
  return { request, callback: end.callback };
}

const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

/**
 * The user's side of the device grant: the user-code page, its confirmation, then the sign-in
 * pages, which end on the provider's success page (there is no redirect URI). Throws unless each
 * page answers as a person would see it.
 */
export async function approveDevice(
  s: TestServer,
  tenantId: string,
  app: TestApp,
  user: TestUser,
  started: { user_code: string; verification_uri: string },
): Promise<void> {
  const browser = new Browser();
  const page = new URL(started.verification_uri);
  const form = await browser.request(page);
  const confirm = await browser.request(page, {
    method: "POST",
    form: { xsrf: xsrfOf(await form.text()), user_code: started.user_code },
  });
  if (form.status !== 200 || confirm.status !== 200)
    throw new Error(`the user-code pages answered ${form.status}, ${confirm.status}`);
  const answers = { ...pageAnswers(s, tenantId, app, user), redirectUri: "urn:tessera:test:none" };
  const signIn = await browser.follow(page, answers.redirectUri, {
    method: "POST",
    form: { xsrf: xsrfOf(await confirm.text()), user_code: started.user_code, confirm: "yes" },
  });
  const end = await passSignInPages(browser, signIn, answers);
  if ("callback" in end || end.status !== 200 || !end.url.pathname.startsWith(`/oidc/${tenantId}/device/`))
    throw new Error("the device sign-in did not end on the success page");
}
