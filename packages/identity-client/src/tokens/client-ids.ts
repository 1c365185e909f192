import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import { emptySession } from "../session/session-data.ts";
import { askClientInfo } from "../setup/client-registration.ts";
import { clientIdPattern } from "../setup/validate-options.ts";

/** An OAuth client id as Tessera issues them: the bound init applies to the main one. */
export const isClientId = (id: unknown): id is string => typeof id === "string" && clientIdPattern.test(id);

/**
 * Registers a further client id (another app of the tenant whose APIs the program calls):
 * getAccessToken(id) then exchanges the user's token for one issued to it. An id the server says
 * it does not know is ClientIdNotRegistered and is not kept; one the server could not be asked
 * about (unreachable, rate limited, an issuer without the client information endpoint, init made
 * offline) is kept: the exchange answers as distinctly later. The question goes through the
 * options' serverFetch, like every request to the server (setup/client-registration.ts). The registration is kept in the shared
 * store, so every process of the program knows it, and in this process.
 */
export async function registerClientId(ctx: ClientContext, clientId: string): Promise<IdentityResult> {
  if (!isClientId(clientId)) return fail(IdentityStatusCode.Failed, "clientId is malformed");
  if (clientId === ctx.options.clientId) return ok();
  const metadata = ctx.server?.serverMetadata() ?? {};
  if ((await askClientInfo(ctx.options, metadata, clientId)).kind === "not-registered")
    return fail(
      IdentityStatusCode.ClientIdNotRegistered,
      `the server does not know the client id ${clientId}`,
    );
  ctx.registered.add(clientId);
  if (ctx.store === undefined) return ok();
  const written = await ctx.store.update(async (current) => {
    const base = current ?? emptySession(ctx.options.issuerUrl.href, ctx.options.clientId);
    const known = base.registeredClientIds ?? [];
    if (known.includes(clientId)) return { next: "unchanged", value: undefined };
    return { next: { ...base, registeredClientIds: [...known, clientId].sort() }, value: undefined };
  });
  return written.ok ? ok() : fail(written.status, written.message);
}

/** Whether `clientId` was registered, here or by another process of the program. */
export async function isRegistered(ctx: ClientContext, clientId: string): Promise<IdentityResult<boolean>> {
  if (ctx.registered.has(clientId)) return ok(true);
  if (ctx.store === undefined) return ok(false);
  const read = await ctx.store.read();
  if (!read.ok) return fail(read.status, read.message);
  const known = read.value?.registeredClientIds?.includes(clientId) === true;
  if (known) ctx.registered.add(clientId);
  return ok(known);
}
