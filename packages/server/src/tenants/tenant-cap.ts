import type { TesseraError } from "@tessera/codes";
import type { Transaction } from "kysely";
import type { ServerContext } from "../app/server-context.ts";
import type { Schema } from "../storage/schema.ts";

/** The tables whose rows a tenant may hold only so many of. */
export type CappedTable = "link_sites" | "link_webhooks" | "sso_apps";

/**
 * A per-tenant cap that holds under a burst, from any number of server processes: call it inside
 * the transaction that then inserts the row. It first locks the tenant's row (PostgreSQL; SQLite
 * runs one write transaction at a time), so two concurrent inserts cannot both count the same
 * free place; a full tenant gets `refusal()`.
 */
export async function requireRoomInTenant(
  ctx: ServerContext,
  trx: Transaction<Schema>,
  cap: { readonly table: CappedTable; readonly tenantId: string; readonly max: number },
  refusal: () => TesseraError,
): Promise<void> {
  await trx
    .selectFrom("tenants")
    .select("id")
    .where("id", "=", cap.tenantId)
    .$if(ctx.database.dialect === "postgres", (query) => query.forUpdate())
    .execute();
  const { count } = await trx
    .selectFrom(cap.table)
    .select((eb) => eb.fn.countAll<number | string | bigint>().as("count"))
    .where("tenant_id", "=", cap.tenantId)
    .executeTakeFirstOrThrow();
  if (Number(count) >= cap.max) throw refusal();
}
