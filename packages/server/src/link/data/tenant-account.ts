import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";

/**
 * The account a data query names, if it is the caller's tenant's: another tenant's account is
 * NotFound, exactly like an unknown one, so an id tells nothing across tenants.
 */
export async function tenantAccount(request: FastifyRequest, account: string): Promise<void> {
  const owned = await request.server.ctx.database.db
    .selectFrom("link_accounts")
    .select("id")
    .where("id", "=", account)
    .where("tenant_id", "=", request.tenant.id)
    .executeTakeFirst();
  if (owned === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no account ${account}`,
      field: "querystring.account",
    });
}
