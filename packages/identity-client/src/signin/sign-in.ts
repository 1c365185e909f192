import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";
import type { AuthenticationData } from "../session/authentication-data.ts";

export interface SignInRequest {
  /** Use the device authorisation grant even when a browser could start. */
  readonly device?: boolean;
}

/** PROVISIONAL (foundation): replaced by the sign-in part. */
export async function signIn(
  _ctx: ClientContext,
  _request: SignInRequest,
): Promise<IdentityResult<AuthenticationData>> {
  return fail(IdentityStatusCode.Failed, "not built yet");
}
