import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { SessionData } from "../session/session-data.ts";

/**
 * The signed-in session as every call needs it. PROVISIONAL (foundation): reads the store. The
 * tokens part completes it: refreshes an expired access token once across all processes, and on an
 * unreachable server asks offline/offline-decision.ts (Offline or SignInRequired). AuthDataEmpty
 * when nobody is signed in.
 */
export async function currentSession(ctx: ClientContext): Promise<IdentityResult<SessionData>> {
  if (ctx.store === undefined) return fail(IdentityStatusCode.UnsupportedCall, "batch mode keeps no session");
  const read = await ctx.store.read();
  if (!read.ok) return fail(read.status, read.message);
  if (read.value?.tokens === undefined) return fail(IdentityStatusCode.AuthDataEmpty, "nobody is signed in");
  return ok(read.value);
}
