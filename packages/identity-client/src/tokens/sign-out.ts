import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { TokenSet } from "../session/session-data.ts";
import { openInBrowser } from "../signin/browser-launcher.ts";
import { withoutSignIn } from "./signed-out.ts";

/**
 * Signs out in every process of the program: the tokens leave the shared store (a new generation:
 * the others see it) whatever the server says. The refresh token is revoked at the server, which
 * ends the grant and with it every access token issued on it. `everywhere` also opens the
 * end-session endpoint (with client_id) in the system browser, ending the browser's session
 * at the server. Local sign-out done but the server not told: the failure's code
 * (ConnectionError, TimeOut, ServerError, …) with a message that says the local sign-out happened.
 */
export async function signOut(
  ctx: ClientContext,
  options: { everywhere?: boolean },
): Promise<IdentityResult> {
  const { store, server } = ctx;
  if (store === undefined) {
    ctx.batch = undefined;
    return ok();
  }
  const cleared = await store.update<TokenSet | undefined>(async (current) =>
    current?.tokens === undefined
      ? { next: "unchanged", value: undefined }
      : { next: withoutSignIn(current), value: current.tokens },
  );
  if (!cleared.ok) return fail(cleared.status, cleared.message);
  const tokens = cleared.value;
  if (tokens === undefined) return ok();
  if (server === undefined)
    return fail(
      IdentityStatusCode.ConnectionError,
      "signed out here; the server was not reachable to revoke the sign-in",
    );
  try {
    if (tokens.refreshToken !== undefined)
      await oidc.tokenRevocation(server, tokens.refreshToken, { token_type_hint: "refresh_token" });
    else await oidc.tokenRevocation(server, tokens.accessToken, { token_type_hint: "access_token" });
  } catch (error) {
    const { status, message } = classifyFailure(error);
    return fail(status, `signed out here; the server could not revoke the sign-in: ${message}`);
  }
  if (options.everywhere !== true) return ok();
  if (server.serverMetadata().end_session_endpoint === undefined)
    return fail(
      IdentityStatusCode.ClientError,
      "signed out here and at the server; it offers no end-session endpoint",
    );
  // client_id, not id_token_hint: the URL becomes the browser's command line, which `ps` (and
  // /proc/<pid>/cmdline) shows every local user for as long as the browser runs; the ID token
  // would hand out the user's e-mail, name and subject. RP-Initiated Logout names the app by
  // client_id just as well; the server asks the person before it signs them out either way.
  const url = oidc.buildEndSessionUrl(server, { client_id: ctx.options.clientId });
  const opened = await openInBrowser(ctx, url);
  return opened.status === IdentityStatusCode.Success
    ? ok()
    : fail(
        opened.status,
        `signed out here and at the server; the browser did not open: ${opened.message ?? ""}`,
      );
}
