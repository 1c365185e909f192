import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { decideOffline } from "../offline/offline-decision.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok, usable } from "../results/identity-result.ts";
import type { UserProfile } from "../session/session-data.ts";
import { currentSession } from "../tokens/current-session.ts";
import { subjectOf } from "../tokens/save-tokens.ts";
import { isUnreachable } from "../tokens/server-answers.ts";
import { profileFromClaims } from "./profile-claims.ts";

/**
 * The signed-in user's profile: fresh from the userinfo endpoint when the server answers (and then
 * cached in the store for every process), else the cached one under the offline decision
 * (Offline within the grace period, else SignInRequired). AuthDataEmpty when nobody is signed in.
 */
export async function getUserProfile(ctx: ClientContext): Promise<IdentityResult<UserProfile>> {
  const session = await currentSession(ctx);
  const data = session.value;
  if (!usable(session.status) || data?.tokens === undefined)
    return fail(session.status, session.message ?? "no usable sign-in");
  const cached = data.profile;
  if (session.status === IdentityStatusCode.Offline || ctx.server === undefined || ctx.store === undefined)
    return cached === undefined
      ? fail(IdentityStatusCode.AuthDataEmpty, "no profile was kept")
      : ok(cached, session.status);
  const { accessToken } = data.tokens;
  let profile: UserProfile | undefined;
  try {
    // The signed-in user's subject (ID token, else cached profile): userinfo about anyone else is refused.
    const info = await oidc.fetchUserInfo(ctx.server, accessToken, subjectOf(data) ?? oidc.skipSubjectCheck);
    profile = profileFromClaims(info, ctx.options.issuerUrl.href);
  } catch (error) {
    const cause = classifyFailure(error);
    if (!isUnreachable(cause)) return fail(cause.status, `userinfo failed: ${cause.message}`);
    const offline = await decideOffline(ctx, data, cause);
    if (!usable(offline.status)) return fail(offline.status, offline.message ?? cause.message);
    return cached === undefined
      ? fail(IdentityStatusCode.AuthDataEmpty, "no profile was kept")
      : ok(cached, offline.status);
  }
  if (profile === undefined) return fail(IdentityStatusCode.UnknownError, "userinfo named no subject");
  const fresh = profile;
  // Cached only while the same sign-in is in the store (not over a sign-out or another user's sign-in).
  await ctx.store.update(async (current) =>
    current?.tokens?.accessToken === accessToken
      ? { next: { ...current, profile: fresh }, value: undefined }
      : { next: "unchanged", value: undefined },
  );
  return ok(fresh);
}
