import { createHash, randomUUID } from "node:crypto";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import { columnAad } from "../secrets/encrypted-columns.ts";
import { heldClaim, holdClaim } from "./idempotency-lease.ts";

/**
 * `Idempotency-Key` on creating requests (PRODUCT.md §4). The first request with a key claims it
 * atomically (insert of a placeholder); its response is stored, encrypted because it can carry a
 * session token or an API key. A retry with the same key and the same request gets the stored
 * response again (header `idempotent-replayed: true`); the same key with a different request is
 * IdempotencyKeyReused. Server failures and "retry later" answers (429, Retry-After) release the
 * key so the request can be retried. Keys
 * expire after 24 hours.
 *
 * A claim without an answer is a lease (`idempotency.leaseSeconds`) that its process renews while
 * the request runs (idempotency-lease.ts): a process that crashed mid-request never answers,
 * releases nor renews it, so one lease after it lapsed the same request may take the claim over,
 * instead of hearing "still being answered" for a day. A random claim id tells the claims apart,
 * so only the current claim's request stores its answer.
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

/** The row of a key: per tenant, and the key itself is not stored. */
export function idempotencyRowId(tenantId: string, key: string): string {
  return createHash("sha256").update(`${tenantId}\n${key}`).digest("hex");
}

/** What must match for a retry to get the stored answer: method, URL and body. */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${url}\n${JSON.stringify(body ?? null)}`)
    .digest("hex");
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
  const id = idempotencyRowId(request.tenant.id, key);
  const requestHash = requestFingerprint(request.method, request.url, request.body);
  const leaseMs = request.server.ctx.config.idempotency.leaseSeconds * 1000;
  const claimId = randomUUID();
  const claim = {
    request_hash: requestHash,
    status_code: 0,
    response_enc: null,
    created_at: now,
    claim_id: claimId,
    lease_until: now + leaseMs,
  };
  // One atomic statement claims a new key, takes over one that has expired, or takes over an
  // unanswered claim of the same request whose lease lapsed (its owner stopped renewing it). Under
  // concurrency only one request wins: the winner's lease runs until now + lease, so the condition
  // fails for the others.
  const claimed = await db
    .insertInto("idempotency_keys")
    .values({ id, tenant_id: request.tenant.id, ...claim })
    .onConflict((oc) =>
      oc
        .column("id")
        .doUpdateSet(claim)
        .where((eb) =>
          eb.or([
            eb("idempotency_keys.created_at", "<=", now - IDEMPOTENCY_TTL_MS),
            eb.and([
              eb("idempotency_keys.status_code", "=", 0),
              eb("idempotency_keys.request_hash", "=", requestHash),
              // A whole lease of grace beyond lease_until: lease_until is written by the owner's
              // clock and read by this process's, so a live owner (renewing every lease/3) is only
              // taken for dead when the two clocks differ by more than 1⅔ leases, not ⅔ of one.
              eb("idempotency_keys.lease_until", "<=", now - leaseMs),
            ]),
          ]),
        ),
    )
    .executeTakeFirst();
  if (Number(claimed.numInsertedOrUpdatedRows ?? 0n) === 1) {
    request.idempotencyId = id;
    holdClaim(request, reply, id, claimId);
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
  const held = heldClaim(request);
  if (id === null || held === undefined || typeof payload !== "string") return payload;
  const { database, keys } = request.server.ctx;
  // Only while this request still holds the claim: if its process was taken for dead and another
  // request took the claim over, the row is the other request's.
  const ownClaim = { id, claim_id: held.claimId, status_code: 0 } as const;
  try {
    // A server fault, or an answer that says "retry later" (429, a lock with Retry-After), is not
    // the request's result: the claim is released so that a retry with the same key is evaluated
    // afresh instead of replaying the refusal for a day.
    if (reply.statusCode >= 500 || reply.statusCode === 429 || reply.hasHeader("retry-after")) {
      await database.db
        .deleteFrom("idempotency_keys")
        .where((eb) => eb.and(ownClaim))
        .execute();
      return payload;
    }
    await database.db
      .updateTable("idempotency_keys")
      .set({ status_code: reply.statusCode, response_enc: keys.encrypt(payload, aad(id)) })
      .where((eb) => eb.and(ownClaim))
      .execute();
    return payload;
  } finally {
    held.stop();
  }
}
