import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { secretSealedAs } from "../../src/sso/apps/app-store.ts";
import type { TestServer } from "./test-server.ts";

/**
 * Signs in through the SSO pages over plain HTTP, as a browser without JavaScript would: an
 * authorization request built by openid-client (PKCE S256, state), redirects followed by hand
 * (`redirect: "manual"`) with a small cookie jar that honours cookie paths, and each page's form
 * filled and posted (password, second factor, consent). Used by every SSO suite; keep the
 * signature of `ssoSignIn` stable.
 */

/** Cookies by name and path, sent to requests under their path, as browsers do. */
export class CookieJar {
  readonly #cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attr("path") ?? "/";
      const expires = attr("expires");
      const removed =
        attr("max-age") === "0" ||
        (expires !== undefined && Date.parse(expires) <= Date.now()) ||
        value === "";
      if (removed) this.#cookies.delete(`${path}|${name}`);
      else this.#cookies.set(`${path}|${name}`, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.#cookies.values()]
      .filter(
        (c) =>
          url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  /** A copy, for tests that replay one browser's cookies from another. */
  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [key, cookie] of this.#cookies) copy.#cookies.set(key, { ...cookie });
    return copy;
  }
}

export interface Page {
  readonly url: URL;
  readonly status: number;
  readonly html: string;
}

/** One browser: its cookie jar and the headers it sends. */
export class Browser {
  jar = new CookieJar();
  readonly headers: Record<string, string>;

  constructor(headers: Record<string, string> = {}) {
    this.headers = headers;
  }

  async request(
    url: URL,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { accept: "text/html", ...this.headers, ...init.headers };
    const cookie = this.jar.header(url);
    if (cookie !== "") headers.cookie = cookie;
    let body: string | undefined;
    if (init.form !== undefined) {
      body = new URLSearchParams(init.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers.origin ??= url.origin;
      headers["sec-fetch-site"] ??= "same-origin";
    }
    const response = await fetch(url, {
      method: init.method ?? "GET",
      headers,
      redirect: "manual",
      ...(body === undefined ? {} : { body }),
    });
    this.jar.store(response);
    return response;
  }

  /**
   * Requests `url` and follows redirects until a page is shown or the browser is sent to
   * `stopAt` (the app's redirect URI), which is not requested.
   */
  async follow(
    url: URL,
    stopAt: string,
    init: Parameters<Browser["request"]>[1] = {},
  ): Promise<Page | { callback: URL }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; response.status >= 300 && response.status < 400; hops += 1) {
      if (hops > 10) throw new Error(`too many redirects at ${current.href}`);
      const location = response.headers.get("location") ?? "";
      current = new URL(location, current);
      if (current.href.startsWith(stopAt)) {
        await response.body?.cancel();
        return { callback: current };
      }
      await response.body?.cancel();
      response = await this.request(current);
    }
    return { url: current, status: response.status, html: await response.text() };
  }
}

export interface PageForm {
  readonly action: URL;
  /** The last path segment of the action: the step it posts to. */
  readonly step: string;
  readonly hidden: Record<string, string>;
}

const unescapeHtml = (text: string) =>
  text.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e] ?? "",
  );

export function formsOf(page: Page): PageForm[] {
  return [...page.html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].map((match) => {
    const action = new URL(unescapeHtml(match[1] ?? ""), page.url);
    const hidden = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((h) => [
        h[1] ?? "",
        unescapeHtml(h[2] ?? ""),
      ]),
    );
    return { action, step: action.pathname.split("/").pop() ?? "", hidden };
  });
}

/** The secret shown on the enrolment page (base32). */
export const enrolmentSecretOf = (page: Page): string | undefined =>
  /<code>([A-Z2-7]+)<\/code>/.exec(page.html)?.[1];

export interface SsoSignInOptions {
  readonly baseUrl: string;
  readonly tenantId: string;
  readonly clientId: string;
  /** A confidential app's secret; omitted: a public app (PKCE only). */
  readonly clientSecret?: string | undefined;
  readonly redirectUri: string;
  readonly username: string;
  readonly password: string;
  /** The next second-factor code (oathtool); called when the factor page is shown. */
  readonly otp?: () => string;
  /** On an enrolment page: the first code of the token whose base32 secret the page shows. */
  readonly enrol?: (secretBase32: string) => string;
  /** On a change-password page (expired password). */
  readonly newPassword?: string;
  readonly scope?: string;
  /** What to answer on a consent page (default allow). */
  readonly consent?: "allow" | "deny";
  readonly uiLocales?: string;
  readonly browser?: Browser;
  /** OIDC `prompt` (e.g. `consent`, which `offline_access` needs for a refresh token). */
  readonly prompt?: string;
  /** More authorization request parameters (e.g. `tessera_action`). */
  readonly extraParams?: Readonly<Record<string, string>>;
}

export interface SsoSignInStart {
  readonly config: oidc.Configuration;
  readonly browser: Browser;
  readonly codeVerifier: string;
  readonly state: string;
  /** The first page (the password form), or where the browser was sent without one. */
  readonly landing: Page | { callback: URL };
}

export interface SsoSignInResult extends SsoSignInStart {
  /** Where the app got the browser back: ?code=…&state=…, or ?error=…. */
  readonly callbackUrl: URL;
  readonly code: string | undefined;
  /** The steps posted, in order (password, factor, consent, …). */
  readonly steps: readonly string[];
}

/** The relying party's configuration from discovery (openid-client, plain http on loopback). */
export function discover(
  options: Pick<SsoSignInOptions, "baseUrl" | "tenantId" | "clientId" | "clientSecret">,
) {
  const issuer = new URL(`/oidc/${options.tenantId}`, options.baseUrl);
  return options.clientSecret === undefined
    ? oidc.discovery(issuer, options.clientId, undefined, oidc.None(), {
        execute: [oidc.allowInsecureRequests],
      })
    : oidc.discovery(issuer, options.clientId, options.clientSecret, undefined, {
        execute: [oidc.allowInsecureRequests],
      });
}

/** Starts an authorization request (code + PKCE S256) and follows it to the first page. */
export async function startSsoSignIn(options: SsoSignInOptions): Promise<SsoSignInStart> {
  const config = await discover(options);
  const browser = options.browser ?? new Browser();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: options.redirectUri,
    scope: options.scope ?? "openid profile",
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    ...(options.uiLocales === undefined ? {} : { ui_locales: options.uiLocales }),
    ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
    ...options.extraParams,
  });
  const landing = await browser.follow(url, options.redirectUri);
  return { config, browser, codeVerifier, state, landing };
}

/** Fills the page's form for its step; throws when the page has no form this helper can fill. */
export function fill(
  page: Page,
  options: SsoSignInOptions,
): { form: PageForm; fields: Record<string, string> } {
  const forms = formsOf(page);
  const [form] = forms;
  if (form === undefined)
    throw new Error(`no form on ${page.url.pathname} (${page.status}): ${page.html.slice(0, 600)}`);
  switch (form.step) {
    case "password":
      return { form, fields: { ...form.hidden, username: options.username, password: options.password } };
    case "factor":
      if (options.otp === undefined) throw new Error("a second factor was asked for, but no otp was given");
      return { form, fields: { ...form.hidden, otp: options.otp() } };
    case "enrol": {
      const secret = enrolmentSecretOf(page);
      if (options.enrol === undefined || secret === undefined) throw new Error("an enrolment was asked for");
      return { form, fields: { ...form.hidden, otp: options.enrol(secret) } };
    }
    case "change-password":
      if (options.newPassword === undefined) throw new Error("a password change was asked for");
      return {
        form,
        fields: { ...form.hidden, password: options.newPassword, confirm: options.newPassword },
      };
    case "consent": {
      const decision = options.consent ?? "allow";
      const chosen = forms.find((f) => f.hidden.decision === decision) ?? form;
      return { form: chosen, fields: { ...chosen.hidden } };
    }
    default:
      throw new Error(`unknown step ${form.step}`);
  }
}

/** The whole sign-in: returns where the app got the browser back (with the code, or an error). */
export async function ssoSignIn(options: SsoSignInOptions): Promise<SsoSignInResult> {
  const start = await startSsoSignIn(options);
  const steps: string[] = [];
  let at = start.landing;
  while (!("callback" in at)) {
    if (steps.length > 8) throw new Error(`the sign-in did not end: ${steps.join(" > ")}`);
    const { form, fields } = fill(at, options);
    // The same step again means the last post was refused (a wrong code): say so, do not retry.
    if (steps.at(-1) === form.step) throw new Error(`step ${form.step} was refused (${at.status})`);
    steps.push(form.step);
    at = await start.browser.follow(form.action, options.redirectUri, { method: "POST", form: fields });
  }
  return {
    ...start,
    callbackUrl: at.callback,
    code: at.callback.searchParams.get("code") ?? undefined,
    steps,
  };
}

/** Redeems the code at the token endpoint (PKCE verifier, state checked) with openid-client. */
export function redeem(result: SsoSignInResult) {
  return oidc.authorizationCodeGrant(result.config, result.callbackUrl, {
    pkceCodeVerifier: result.codeVerifier,
    expectedState: result.state,
  });
}

export interface TestApp {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly redirectUri: string;
}

/** An app inserted straight into sso_apps (the rows `/v1/apps` makes), for SSO tests. */
export async function createTestApp(
  s: TestServer,
  tenantId: string,
  options: {
    readonly name?: string;
    readonly confidential?: boolean;
    /** A public app's kind (default browser); native apps are asked once more by oidc-provider. */
    readonly native?: boolean;
    readonly firstParty?: boolean;
    readonly secondFactors?: readonly string[];
    readonly requireSecondFactor?: boolean;
    readonly scopes?: string;
    readonly grantTypes?: readonly string[];
  } = {},
): Promise<TestApp> {
  const now = s.clock.now();
  const clientId = `app-${Math.random().toString(36).slice(2, 12)}`;
  const clientSecret = options.confidential === true ? `secret-${clientId}-${clientId}` : undefined;
  const redirectUri = "http://127.0.0.1:9/callback";
  await s.server.ctx.database.db
    .insertInto("sso_apps")
    .values({
      client_id: clientId,
      tenant_id: tenantId,
      name: options.name ?? "Test app",
      kind: clientSecret !== undefined ? "confidential" : options.native === true ? "native" : "browser",
      secret_enc:
        clientSecret === undefined ? null : s.server.ctx.keys.encrypt(clientSecret, secretSealedAs(clientId)),
      redirect_uris: JSON.stringify([redirectUri]),
      post_logout_redirect_uris: "[]",
      grant_types: JSON.stringify(options.grantTypes ?? ["authorization_code", "refresh_token"]),
      scopes: options.scopes ?? "openid profile email offline_access",
      second_factors: JSON.stringify(options.secondFactors ?? []),
      require_second_factor: options.requireSecondFactor === true ? 1 : 0,
      first_party: options.firstParty === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { clientId, clientSecret, redirectUri };
}

/**
 * Goes through the sign-in until the page of `step` is shown (not posted), for tests that craft
 * what comes next; throws when the sign-in ends first.
 */
export async function ssoSignInUntil(
  options: SsoSignInOptions,
  step: string,
): Promise<SsoSignInStart & { page: Page; form: PageForm }> {
  const start = await startSsoSignIn(options);
  let at = start.landing;
  for (let n = 0; n < 8; n += 1) {
    if ("callback" in at) break;
    const [shown] = formsOf(at);
    if (shown?.step === step) return { ...start, page: at, form: shown };
    const { form, fields } = fill(at, options);
    at = await start.browser.follow(form.action, options.redirectUri, { method: "POST", form: fields });
  }
  throw new Error(`the sign-in never showed step ${step}`);
}

/**
 * The tenant's audit events with this result code, read back through GET /v1/audit; each code
 * found is recorded as observed end to end (the pages show only a generic message).
 */
export async function auditedWith(
  s: TestServer,
  apiKey: string,
  resultCode: number,
  scenario: string,
): Promise<{ operation: string; subject: string | null }[]> {
  const r = await s.api("GET", `/v1/audit?resultCode=${resultCode}&limit=500`, { apiKey, scenario });
  const events = r.body.events as { operation: string; subject: string | null; resultCode: number }[];
  for (const event of events) recordObservedCode("api", event.resultCode, scenario);
  return events;
}
