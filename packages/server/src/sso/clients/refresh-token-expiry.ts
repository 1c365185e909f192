import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { hashOf } from "../provider/oidc-adapter.ts";
import { findModelBy } from "../provider/sso-model-queries.ts";

/**
 * A token answer that issues a refresh token says how long that refresh token will still work:
 * `refresh_token_expires_in`, in whole seconds from now, so that a program knows when its user
 * will have to sign in again without trying the token first.
 *
 * Refresh tokens rotate on every use and each new one gets the full sso.refreshTokenTtlDays, but
 * the grant they belong to does not: it was saved with the same lifetime when the user consented,
 * and a refresh token whose grant has expired is refused. So the answer is the sooner of the two
 * ends, both read from their stored rows (sso_models.expires_at, kept by the server clock, which
 * is what the adapter enforces), never derived from the provider's own idea of the time.
 */
export function answerRefreshTokenExpiry(provider: Provider, tenantId: string, ctx: ServerContext): void {
  provider.use(async (koa, next) => {
    await next();
    const oidc = (koa as Partial<KoaContextWithOIDC>).oidc;
    if (oidc?.route !== "token" || koa.status !== 200) return;
    const body = koa.body as Record<string, unknown> | undefined;
    if (body === undefined || body === null || typeof body.refresh_token !== "string") return;
    const grantId = oidc.entities.RefreshToken?.grantId;
    const ends = await Promise.all([
      expiryOf(ctx, tenantId, "RefreshToken", body.refresh_token),
      grantId === undefined ? undefined : expiryOf(ctx, tenantId, "Grant", grantId),
    ]);
    const known = ends.filter((end): end is number => end !== undefined);
    if (known.length === 0) return;
    const seconds = Math.floor((Math.min(...known) - ctx.clock.now()) / 1000);
    koa.body = { ...body, refresh_token_expires_in: Math.max(0, seconds) };
  });
}

/** When the stored model stops working (epoch ms), if it has an end. */
async function expiryOf(ctx: ServerContext, tenantId: string, model: string, id: string) {
  const [row] = await findModelBy.id_hash(ctx.database.db)({ model, value: hashOf(id), tenantId });
  return row?.expires_at === null || row === undefined ? undefined : Number(row.expires_at);
}
