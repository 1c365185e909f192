import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";
import type { UserProfile } from "../session/session-data.ts";

/** PROVISIONAL (foundation): replaced by the tokens part. */
export async function getUserProfile(_ctx: ClientContext): Promise<IdentityResult<UserProfile>> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}
