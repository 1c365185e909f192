import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";

/**
 * PROVISIONAL (foundation): the sign-in part opens `url` in the system browser (the `browser`
 * option, else $BROWSER, else the platform's opener). InitCefFailed when none can start.
 */
export async function openInBrowser(_ctx: ClientContext, _url: URL): Promise<IdentityResult> {
  return fail(IdentityStatusCode.InitCefFailed, "not built yet");
}
