import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";

/** PROVISIONAL (foundation): replaced by the tokens part. */
export async function authorisedFetch(
  _ctx: ClientContext,
  _url: string | URL,
  _init: RequestInit,
): Promise<IdentityResult<Response>> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}
