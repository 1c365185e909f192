import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { AuthenticationData } from "../session/authentication-data.ts";
import type { DeviceCodePrompt } from "../setup/init-options.ts";
import { saveTokens } from "../tokens/save-tokens.ts";
import { signedInData } from "./signed-in-data.ts";

/**
 * The device authorization grant (RFC 8628): for a program with no browser to start, or asked for
 * with signIn({device: true}). The person enters the user code on another device; the program
 * polls (openid-client waits the interval and honours slow_down) until the tokens come, the code
 * expires (TimeOut), the person refuses (Failed) or `timeoutMs` passes (TimeOut).
 */
export async function deviceSignIn(
  ctx: ClientContext,
  server: oidc.Configuration,
  timeoutMs: number,
): Promise<IdentityResult<AuthenticationData>> {
  const signal = AbortSignal.timeout(timeoutMs);
  let started: oidc.DeviceAuthorizationResponse;
  try {
    // offline_access goes in the scope alone here: no prompt in the device grant (docs/sso.md).
    started = await oidc.initiateDeviceAuthorization(server, {
      scope: ctx.options.scopes.join(" "),
      ui_locales: ctx.options.locale,
    });
  } catch (error) {
    const { status, message } = classifyFailure(error);
    return fail(status, `the device grant could not start: ${oauthError(error) ?? message}`);
  }
  const prompt: DeviceCodePrompt = {
    userCode: started.user_code,
    verificationUri: started.verification_uri,
    ...(started.verification_uri_complete === undefined
      ? {}
      : { verificationUriComplete: started.verification_uri_complete }),
    expiresAt: ctx.now() + started.expires_in * 1000,
  };
  if (ctx.options.onDeviceCode === undefined)
    process.stderr.write(
      `To sign in, open ${printable(prompt.verificationUri)} and enter the code ${printable(prompt.userCode)}\n`,
    );
  else ctx.options.onDeviceCode(prompt);
  let response: Awaited<ReturnType<typeof oidc.pollDeviceAuthorizationGrant>>;
  try {
    // openid-client looks at the signal only between its waits: the race ends the wait at once.
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
    );
    response = await Promise.race([
      oidc.pollDeviceAuthorizationGrant(server, started, undefined, { signal }),
      aborted,
    ]);
  } catch (error) {
    const code = oauthError(error);
    if (signal.aborted || code === "expired_token")
      return fail(IdentityStatusCode.TimeOut, "the device code was not confirmed in time");
    if (code === "access_denied")
      return fail(IdentityStatusCode.Failed, "the sign-in was refused on the device page");
    const { status, message } = classifyFailure(error);
    return fail(status, `the device grant failed: ${code ?? message}`);
  }
  const saved = await saveTokens(ctx, response, { signIn: true });
  if (saved.value === undefined) return fail(saved.status, saved.message ?? "the sign-in could not be saved");
  return ok(signedInData(saved.value, response));
}

/**
 * The server's text without what a terminal would act on: C0/C1 controls (ESC starts sequences
 * that write the clipboard, retitle the window or clear the screen to hide the real address) and
 * bidirectional overrides (which show an address other than the one printed).
 */
const printable = (text: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "");

/** The OAuth error code of a server's answer (openid-client's ResponseBodyError), if it is one. */
function oauthError(error: unknown): string | undefined {
  return error instanceof oidc.ResponseBodyError ? error.error : undefined;
}
