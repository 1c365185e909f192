import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { AuthenticationData } from "../session/authentication-data.ts";
import { saveTokens } from "../tokens/save-tokens.ts";
import { browserArgv } from "./browser-launcher.ts";
import { type HelperEvent, type RunningHelper, startHelper } from "./helper-process.ts";
import { CALLBACK_PATH } from "./helper-protocol.ts";
import { signedInData } from "./signed-in-data.ts";

/** How the browser sign-in ended: a result, or no browser could start (the device grant may follow). */
export type BrowserOutcome =
  | { readonly kind: "done"; readonly result: IdentityResult<AuthenticationData> }
  | { readonly kind: "noBrowser"; readonly message: string };

const done = (result: IdentityResult<AuthenticationData>): BrowserOutcome => ({ kind: "done", result });

/**
 * Authorization code with PKCE S256, state and nonce, through the system browser and a loopback
 * redirect (RFC 8252 §7.3) received by the helper process. The whole of it, from starting the
 * helper to the tokens, is bounded by `timeoutMs` (TimeOut).
 */
export async function browserSignIn(
  ctx: ClientContext,
  server: oidc.Configuration,
  timeoutMs: number,
): Promise<BrowserOutcome> {
  const helper = await startHelper(ctx.options.helperExecPath ?? process.execPath);
  if (typeof helper === "string")
    return done(fail(IdentityStatusCode.IdentityClientProcessCreationFailed, helper));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(resolve, timeoutMs, "timeout");
  });
  try {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const redirectUri = `http://127.0.0.1:${helper.port}${CALLBACK_PATH}`;
    const scope = ctx.options.scopes.join(" ");
    const url = oidc.buildAuthorizationUrl(server, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
      ui_locales: ctx.options.locale,
      // OpenID Connect honours offline_access (the refresh token) only with prompt=consent (docs/sso.md).
      ...(ctx.options.scopes.includes("offline_access") ? { prompt: "consent" } : {}),
    });
    helper.send({
      type: "open",
      argv: browserArgv(url.href, ctx.options.browser, process.env),
      state,
      locale: ctx.options.locale,
    });
    const event = await Promise.race([helper.next(), timedOut]);
    if (event === "timeout")
      return done(fail(IdentityStatusCode.TimeOut, `no sign-in within ${timeoutMs} ms`));
    if (event.type !== "callback") return unusable(event);
    const callback = new URL(`${redirectUri}${event.query}`);
    // The sign-in timeout bounds the wait for the person. Once the redirect is here, the
    // redemption runs to its end (each request is bounded by timeoutMs): a redemption left
    // running behind a TimeOut answer could still save the sign-in later, even after a sign-out.
    return done(await redeem(ctx, server, helper, callback, { verifier, state, nonce }));
  } finally {
    clearTimeout(timer);
    helper.stop();
  }
}

function unusable(event: Exclude<HelperEvent, { type: "callback" }>): BrowserOutcome {
  if (event.type === "browserFailed") return { kind: "noBrowser", message: event.message };
  return done(fail(IdentityStatusCode.IdentityClientProcessCallFailed, event.message));
}

/** The redirect's own checks, then the code's redemption; the helper shows the matching page. */
async function redeem(
  ctx: ClientContext,
  server: oidc.Configuration,
  helper: RunningHelper,
  callback: URL,
  expected: { verifier: string; state: string; nonce: string },
): Promise<IdentityResult<AuthenticationData>> {
  const problem = redirectProblem(server, callback);
  if (problem !== undefined) {
    helper.send({
      type: "outcome",
      page: problem.status === IdentityStatusCode.Failed ? "cancelled" : "failure",
    });
    return fail(problem.status, problem.message);
  }
  let response: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    response = await oidc.authorizationCodeGrant(server, callback, {
      pkceCodeVerifier: expected.verifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    helper.send({ type: "outcome", page: "failure" });
    const { status, message } = classifyFailure(error);
    return fail(status, `the code could not be redeemed: ${message}`);
  }
  const saved = await saveTokens(ctx, response, { signIn: true });
  helper.send({ type: "outcome", page: saved.value === undefined ? "failure" : "success" });
  if (saved.value === undefined) return fail(saved.status, saved.message ?? "the sign-in could not be saved");
  return ok(signedInData(saved.value, response));
}

/**
 * What makes a redirect unusable before anything is sent to the server (the helper already
 * checked the state): an error answer (access_denied: the person cancelled, Failed), an issuer
 * other than ours (RFC 9207: a mix-up), no code.
 */
function redirectProblem(
  server: oidc.Configuration,
  callback: URL,
): { status: IdentityStatusCode; message: string } | undefined {
  const params = callback.searchParams;
  const error = params.get("error");
  if (error === "access_denied")
    return { status: IdentityStatusCode.Failed, message: "the sign-in was cancelled" };
  // The error's name is shown only when it is one: the query comes from whoever reached the port.
  if (error !== null)
    return {
      status: IdentityStatusCode.IdentityClientProcessCallFailed,
      message: `the server refused the sign-in${/^[a-z_]{1,64}$/.test(error) ? ` (${error})` : ""}`,
    };
  const metadata = server.serverMetadata();
  const iss = params.get("iss");
  if (
    (iss === null && metadata.authorization_response_iss_parameter_supported === true) ||
    (iss !== null && iss !== metadata.issuer)
  )
    return {
      status: IdentityStatusCode.IdentityClientProcessCallFailed,
      message: "the redirect's issuer is not this server",
    };
  if (params.get("code") === null || params.getAll("code").length !== 1)
    return {
      status: IdentityStatusCode.IdentityClientProcessCallFailed,
      message: "the redirect carries no single code",
    };
  return undefined;
}
