import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";
import type { AuthenticationData } from "../session/authentication-data.ts";
import { browserSignIn } from "./browser-sign-in.ts";
import { deviceSignIn } from "./device-sign-in.ts";

export interface SignInRequest {
  /** Use the device authorisation grant even when a browser could start. */
  readonly device?: boolean;
  /** How long the whole sign-in may take, in milliseconds (1 s – 1 h); default 5 minutes. */
  readonly timeoutMs?: number;
}

export const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60_000;
const MAX_SIGN_IN_TIMEOUT_MS = 3_600_000;

/**
 * Interactive sign-in: the system browser with a loopback redirect (browser-sign-in.ts), or the
 * device grant (device-sign-in.ts) when asked for or when no browser can start. A program without
 * a browser still gets signed in when the server offers the device grant; the result then says
 * why in its message (InitCefFailed's reason), and only a program that cannot fall back answers
 * InitCefFailed.
 */
export async function signIn(
  ctx: ClientContext,
  request: SignInRequest,
): Promise<IdentityResult<AuthenticationData>> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1000 || timeoutMs > MAX_SIGN_IN_TIMEOUT_MS)
    return fail(IdentityStatusCode.Failed, "timeoutMs must be an integer from 1000 to 3600000");
  if (ctx.store === undefined)
    return fail(IdentityStatusCode.UnsupportedCall, "batch mode has no interactive sign-in");
  const { server } = ctx;
  if (server === undefined)
    return fail(
      IdentityStatusCode.ConnectionError,
      "the server could not be reached when the client started",
    );
  if (request.device === true) return deviceSignIn(ctx, server, timeoutMs);
  const browser = await browserSignIn(ctx, server, timeoutMs);
  if (browser.kind === "done") return browser.result;
  const offersDevice = server.serverMetadata().device_authorization_endpoint !== undefined;
  if (!offersDevice) return fail(IdentityStatusCode.InitCefFailed, browser.message);
  const device = await deviceSignIn(ctx, server, timeoutMs);
  // The app may not be allowed the device grant: then the browser's failure is the answer.
  if (device.status === IdentityStatusCode.ClientError)
    return fail(IdentityStatusCode.InitCefFailed, `${browser.message}; ${device.message ?? ""}`);
  const after =
    device.status === IdentityStatusCode.Success ? "signed in with the device grant instead" : device.message;
  return { ...device, message: `${browser.message}; ${after ?? ""}` };
}
