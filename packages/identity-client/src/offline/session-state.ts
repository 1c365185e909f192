import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";
import type { AuthenticationData } from "../session/authentication-data.ts";

/** PROVISIONAL (foundation): replaced by the offline part. */
export async function isUserAuthenticated(_ctx: ClientContext): Promise<IdentityResult<boolean>> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}

/** PROVISIONAL (foundation): replaced by the offline part. */
export async function authenticationData(_ctx: ClientContext): Promise<IdentityResult<AuthenticationData>> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}
