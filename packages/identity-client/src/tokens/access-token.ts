import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";

/** PROVISIONAL (foundation): replaced by the tokens part. */
export async function getAccessToken(
  _ctx: ClientContext,
  _clientId?: string,
): Promise<IdentityResult<string>> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}

/** PROVISIONAL (foundation): replaced by the tokens part. */
export async function registerClientId(_ctx: ClientContext, _clientId: string): Promise<IdentityResult> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}
