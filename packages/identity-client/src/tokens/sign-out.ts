import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";

/** PROVISIONAL (foundation): replaced by the tokens part. */
export async function signOut(
  _ctx: ClientContext,
  _options: { everywhere?: boolean },
): Promise<IdentityResult> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}
