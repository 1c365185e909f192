import { createHash } from "node:crypto";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import { columnAad } from "../secrets/encrypted-columns.ts";

/**
 * `Idempotency-Key` on creating requests (PRODUCT.md §4). The first request with a key claims it
 * atomically (insert of a placeholder); its response is stored, encrypted because it can carry a
 * session token or an API key. A retry with the same key and the same request gets the stored
 * response again (header `idempotent-replayed: true`); the same key with a different request is
 * IdempotencyKeyReused. Server failures release the key so the request can be retried. Keys
 * expire after 24 hours.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const keyPattern = /^[\x21-\x7e]{1,255}$/;
const aad = (id: string) => columnAad({ table: "idempotency_keys", column: "response_enc" }, id);

declare module "fastify" {
  interface FastifyRequest {
    idempotencyId: string | null;
  }
  interface FastifyContextConfig {
    /** The route accepts an Idempotency-Key header. */
    idempotent?: boolean;
  }
}

/** preHandler: claims the key, or answers with the stored response. */
export async function claimIdempotencyKey(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const key = request.headers["idempotency-key"];
  if (key === undefined || request.routeOptions.config.idempotent !== true) return undefined;
  if (typeof key !== "string" || !keyPattern.test(key)) {
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: "the Idempotency-Key header must be 1–255 visible ASCII characters",
      field: "headers.idempotency-key",
    });
  }
  const { database, clock, keys } = request.server.ctx;
  const db = database.db;
  const now = clock.now();
  const id = createHash("sha256").update(`${request.tenant.id}\n${key}`).digest("hex");
  const requestHash = createHash("sha256")
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest("hex");
  const claim = { request_hash: requestHash, status_code: 0, response_enc: null, created_at: now };
  // One atomic statement claims a new key, or takes over one that has expired.
  const claimed = await db
    .insertInto("idempotency_keys")
    .values({ id, tenant_id: request.tenant.id, ...claim })
    .onConflict((oc) =>
      oc
        .column("id")
        .doUpdateSet(claim)
        .where("idempotency_keys.created_at", "<=", now - IDEMPOTENCY_TTL_MS),
    )
    .executeTakeFirst();
  if (Number(claimed.numInsertedOrUpdatedRows ?? 0n) === 1) {
    request.idempotencyId = id;
    return undefined;
  }
  const stored = await db.selectFrom("idempotency_keys").selectAll().where("id", "=", id).executeTakeFirst();
  if (stored === undefined || stored.request_hash !== requestHash) {
    throw new TesseraError(TesseraApiCode.IdempotencyKeyReused, {
      message: "this Idempotency-Key was used with a different request",
      field: "headers.idempotency-key",
    });
  }
  if (stored.status_code === 0 || stored.response_enc === null) {
    throw new TesseraError(TesseraApiCode.IdempotencyKeyReused, {
      message: "a request with this Idempotency-Key is still being answered; retry shortly",
      field: "headers.idempotency-key",
    });
  }
  const body = keys.decrypt(stored.response_enc, aad(id)).toString();
  return reply
    .code(stored.status_code)
    .header("idempotent-replayed", "true")
    .type("application/json")
    .send(body);
}

/** onSend: stores the first answer under the claimed key, or releases the key after a server fault. */
export async function storeIdempotentResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const id = request.idempotencyId;
  if (id === null || typeof payload !== "string") return payload;
  const { database, keys } = request.server.ctx;
  if (reply.statusCode >= 500) {
    await database.db.deleteFrom("idempotency_keys").where("id", "=", id).execute();
    return payload;
  }
  await database.db
    .updateTable("idempotency_keys")
    .set({ status_code: reply.statusCode, response_enc: keys.encrypt(payload, aad(id)) })
    .where("id", "=", id)
    .execute();
  return payload;
}
