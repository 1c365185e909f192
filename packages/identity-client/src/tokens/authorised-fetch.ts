import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok, usable } from "../results/identity-result.ts";
import { getAccessToken } from "./access-token.ts";
import { currentSession } from "./current-session.ts";

/**
 * fetch with `Authorization: Bearer <the main access token>`. A 401 means the resource server no
 * longer takes the token (revoked, or expired by its clock): the token is renewed once (forced,
 * and still once across processes: only the process that finds the rejected token in the store
 * refreshes) and the request sent once more. The Response, whatever its HTTP status, is the value;
 * a request that gets no answer is classified (ConnectionError, TimeOut, UnknownError). A body
 * that is a stream cannot be sent twice: such a request is not retried.
 */
export async function authorisedFetch(
  ctx: ClientContext,
  url: string | URL,
  init: RequestInit,
): Promise<IdentityResult<Response>> {
  const token = await getAccessToken(ctx);
  if (!usable(token.status) || token.value === undefined)
    return fail(token.status, token.message ?? "no access token");
  const first = await send(ctx, url, init, token.value);
  if (
    first.value?.status !== 401 ||
    token.status !== IdentityStatusCode.Success ||
    init.body instanceof ReadableStream
  )
    return first.value === undefined ? first : ok(first.value, token.status);
  await first.value.body?.cancel();
  const renewed = await currentSession(ctx, { rejected: token.value });
  const again = renewed.value?.tokens?.accessToken;
  if (!usable(renewed.status) || again === undefined)
    return fail(renewed.status, renewed.message ?? "no access token");
  const second = await send(ctx, url, init, again);
  return second.value === undefined ? second : ok(second.value, renewed.status);
}

async function send(
  ctx: ClientContext,
  url: string | URL,
  init: RequestInit,
  accessToken: string,
): Promise<IdentityResult<Response>> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${accessToken}`);
  const timeout = AbortSignal.timeout(ctx.options.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  try {
    return ok(await fetch(url, { ...init, headers, signal }));
  } catch (error) {
    const { status, message } = classifyFailure(error);
    return fail(status, message);
  }
}
