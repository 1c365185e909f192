import { randomUUID } from "node:crypto";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { type Kysely, sql } from "kysely";
import type { CursorKey } from "../../app/paging.ts";
import type { ServerContext } from "../../app/server-context.ts";
import { columnAad } from "../../secrets/encrypted-columns.ts";
import type { RadiusClientsTable, Schema } from "../../storage/schema.ts";
import type { ClientRange } from "./client-address.ts";

/** The sealed shared secret's column; the row id is in the associated data. */
export const radiusSecretColumn = { table: "radius_clients", column: "secret_enc" } as const;

export interface NewRadiusClient {
  readonly name: string;
  readonly range: ClientRange;
  readonly secret: string;
  readonly requireMessageAuthenticator: boolean;
}

/** What the API and the CLI show of a client: never its secret. */
export interface RadiusClientView {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly requireMessageAuthenticator: boolean;
  readonly createdAt: number;
}

type ViewRow = Pick<
  RadiusClientsTable,
  "id" | "name" | "address" | "require_message_authenticator" | "created_at"
>;
const viewColumns = ["id", "name", "address", "require_message_authenticator", "created_at"] as const;

export const clientView = (row: ViewRow): RadiusClientView => ({
  id: row.id,
  name: row.name,
  address: row.address,
  requireMessageAuthenticator: row.require_message_authenticator === 1,
  createdAt: row.created_at,
});

const taken = (address: string, why: string) =>
  new TesseraError(TesseraApiCode.RadiusClientAddressTaken, {
    message: `RADIUS client address ${address} ${why}`,
    field: "body.address",
  });

/**
 * Adds a client. A source address must identify exactly one tenant, so a range overlapping any
 * range of another tenant is refused (a tenant could otherwise claim a more specific part of
 * another's range and capture its packets). The row is inserted first and the overlap checked
 * after, in one transaction: on SQLite the insert takes the write lock, so a concurrent adder
 * checks after this one commits; on PostgreSQL an advisory lock serialises adders, whose
 * uncommitted rows READ COMMITTED would not show each other.
 */
export async function addRadiusClient(
  ctx: ServerContext,
  tenantId: string,
  input: NewRadiusClient,
): Promise<RadiusClientView> {
  const id = randomUUID();
  const row = {
    id,
    tenant_id: tenantId,
    name: input.name,
    address: input.range.address,
    network_start: input.range.start,
    network_end: input.range.end,
    prefix: input.range.prefix,
    secret_enc: ctx.keys.encrypt(input.secret, columnAad(radiusSecretColumn, id)),
    require_message_authenticator: input.requireMessageAuthenticator ? 1 : 0,
    created_at: ctx.clock.now(),
  };
  await ctx.database.db.transaction().execute(async (trx) => {
    if (ctx.database.dialect === "postgres")
      await sql`select pg_advisory_xact_lock(hashtext('tessera.radius_clients'))`.execute(trx);
    const inserted = await trx
      .insertInto("radius_clients")
      .values(row)
      .onConflict((oc) => oc.columns(["tenant_id", "address"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0)
      throw taken(row.address, "is already a client of this tenant");
    const overlap = await trx
      .selectFrom("radius_clients")
      .select("id")
      .where("tenant_id", "<>", tenantId)
      .where("network_start", "<=", row.network_end)
      .where("network_end", ">=", row.network_start)
      .executeTakeFirst();
    if (overlap !== undefined) throw taken(row.address, "overlaps a range another tenant has");
  });
  return clientView(row);
}

/** One page of a tenant's clients, oldest first (key: created_at, id). */
export function listRadiusClients(
  db: Kysely<Schema>,
  tenantId: string,
  after: CursorKey | undefined,
  limit: number,
): Promise<ViewRow[]> {
  return db
    .selectFrom("radius_clients")
    .select(viewColumns)
    .where("tenant_id", "=", tenantId)
    .$if(after !== undefined, (q) =>
      q.where(({ eb, refTuple, tuple }) =>
        eb(refTuple("created_at", "id"), ">", tuple(after?.[0] as number, after?.[1] as string)),
      ),
    )
    .orderBy("created_at")
    .orderBy("id")
    .limit(limit)
    .execute();
}

/** Deletes the tenant's client `id`; false when the tenant has none by that id. */
export async function deleteRadiusClient(db: Kysely<Schema>, tenantId: string, id: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom("radius_clients")
    .where("id", "=", id)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}
