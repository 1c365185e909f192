import type Provider from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { hashOf } from "../provider/oidc-adapter.ts";
import { invalidSubject } from "./exchange-refusals.ts";
import { amrOfToken } from "./token-amr.ts";

/**
 * The subject token of a token exchange: a live access token of THIS issuer, issued to the app
 * asking. Everything that makes the token unusable at userinfo makes it unusable here (unknown,
 * expired by the server clock, revoked, its grant ended, its browser session ended for a token
 * bound to one); a token of another app is refused the same way, so that one app cannot turn a
 * token it intercepted from another into tokens of its own. A client-credentials token is another
 * model and is never found here: there is no user to exchange for.
 */
export interface ExchangeSubject {
  readonly accountId: string;
  readonly scope: string;
  /** How the user signed in, as recorded in the token (token-amr.ts); empty when not known. */
  readonly amr: readonly string[];
  /**
   * The grant the sign-in began (the first of a chain of exchanges): revoking it (a refresh token
   * revoked or replayed, a sign-out, a PAT revoked) ends every token exchanged from it.
   */
  readonly rootGrantId: string;
  /** The subject token's own grant (the root's, or an exchanged token's linked one). */
  readonly grantId: string;
  /** When the subject token expires, by the server clock (ms). */
  readonly expiresAt: number;
}

export async function findSubject(
  ctx: ServerContext,
  provider: Provider,
  tenantId: string,
  clientId: string,
  value: string,
): Promise<ExchangeSubject> {
  const token = await provider.AccessToken.find(value);
  if (token === undefined || !token.isValid)
    throw invalidSubject("unknown, expired or revoked subject token");
  if (token.clientId !== clientId) throw invalidSubject("the subject token was issued to another app");
  const { accountId, grantId } = token;
  if (typeof accountId !== "string" || typeof grantId !== "string") throw invalidSubject("no user");
  const grant = await provider.Grant.find(grantId);
  if (grant === undefined || grant.clientId !== clientId || grant.accountId !== accountId)
    throw invalidSubject("the subject token's grant has ended");
  // An exchanged token's Grant names the grant it was exchanged from (token-exchange.ts).
  const stored = await provider.Grant.adapter.find(grantId);
  const rootGrantId = typeof stored?.grantId === "string" ? stored.grantId : grantId;
  const row = await ctx.database.db
    .selectFrom("sso_models")
    .select("expires_at")
    .where("model", "=", "AccessToken")
    .where("id_hash", "=", hashOf(value))
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  const expiresAt = Number(row?.expires_at ?? 0);
  if (expiresAt <= ctx.clock.now()) throw invalidSubject("the subject token has expired");
  return { accountId, scope: token.scope ?? "", amr: amrOfToken(token), rootGrantId, grantId, expiresAt };
}

/**
 * Waits (PostgreSQL) until no revocation still under way can delete the subject token or its grant.
 * A revocation is one DELETE, and under READ COMMITTED it does not see rows an exchange inserts
 * after it began; an exchange that then checked its subject before that DELETE committed would
 * find it alive and keep a token nothing revokes. Reading the two rows FOR SHARE waits for a
 * DELETE that holds them and then finds them gone; the subject check that follows fails and the
 * exchange undoes itself. SQLite has one writer at a time: a revocation has finished by then.
 */
export async function awaitRevocationsUnderWay(
  ctx: ServerContext,
  tenantId: string,
  value: string,
  subject: ExchangeSubject,
): Promise<void> {
  if (ctx.database.dialect !== "postgres") return;
  await ctx.database.db
    .selectFrom("sso_models")
    .select("id_hash")
    .where("tenant_id", "=", tenantId)
    .where("id_hash", "in", [hashOf(value), hashOf(subject.grantId)])
    .forShare()
    .execute();
}
