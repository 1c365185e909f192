import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import type { Classified } from "../results/classify-failure.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";
import type { SessionData } from "../session/session-data.ts";

/**
 * PROVISIONAL (foundation): the offline part decides, when the server cannot be reached (`cause`),
 * whether the stored sign-in may still be used: Offline (value: the session) within the grace
 * period the server signed, else SignInRequired.
 */
export async function decideOffline(
  _ctx: ClientContext,
  _data: SessionData,
  cause: Classified,
): Promise<IdentityResult<SessionData>> {
  return fail(IdentityStatusCode.SignInRequired, cause.message);
}
