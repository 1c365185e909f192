import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult, ok, usable } from "../results/identity-result.ts";
import { isClientId, isRegistered } from "./client-ids.ts";
import { currentSession } from "./current-session.ts";
import { exchangedToken } from "./token-exchange.ts";

export { registerClientId } from "./client-ids.ts";

/**
 * An access token for the main client id (the signed-in user's own, refreshed when expired), or
 * for a client id registered with registerClientId (exchanged for it). An id never registered is
 * ClientIdNotRegistered, like an id the server does not know. Offline (the server unreachable,
 * within the grace period) still answers the stored main token, which may have expired: a resource
 * server reachable when the issuer is not may still accept it.
 */
export async function getAccessToken(ctx: ClientContext, clientId?: string): Promise<IdentityResult<string>> {
  const main = clientId === undefined || clientId === ctx.options.clientId;
  if (!main) {
    if (!isClientId(clientId)) return fail(IdentityStatusCode.Failed, "clientId is malformed");
    const registered = await isRegistered(ctx, clientId);
    if (registered.value !== true)
      return registered.status === IdentityStatusCode.Success
        ? fail(IdentityStatusCode.ClientIdNotRegistered, `the client id ${clientId} was not registered`)
        : fail(registered.status, registered.message ?? "the store cannot be read");
  }
  const session = await currentSession(ctx);
  if (!usable(session.status) || session.value?.tokens === undefined)
    return fail(session.status, session.message ?? "no usable sign-in");
  if (main) return ok(session.value.tokens.accessToken, session.status);
  if (session.status === IdentityStatusCode.Offline) {
    const cached = session.value.clientTokens?.[clientId]?.accessToken;
    return cached === undefined
      ? fail(
          IdentityStatusCode.ConnectionError,
          `the server is unreachable and no token for ${clientId} was kept`,
        )
      : ok(cached, IdentityStatusCode.Offline);
  }
  return exchangedToken(ctx, session.value, clientId);
}
