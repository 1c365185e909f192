import type { Kysely } from "kysely";
import type { AuditLog } from "../audit/audit-log.ts";
import type { Schema } from "../storage/schema.ts";

/**
 * Requests refused before any tenant is known (no key, a wrong key, a locked-out source) cost the
 * sender nothing, while each audit event extends the one hash chain that every process writes in
 * turn. So they are counted per source address in fixed windows in the database (one independent
 * row per source, no chain contention): the first refusal of a window is audited as it happens,
 * and the rest of the window becomes one aggregated event once the window is over.
 */
export const REFUSED_WINDOW_MS = 60_000;

/** Counts one refused request; true when it is the first of its source's window (audit it). */
export async function countRefusedRequest(
  db: Kysely<Schema>,
  source: string,
  resultCode: number,
  now: number,
): Promise<boolean> {
  const windowStart = now - (now % REFUSED_WINDOW_MS);
  const row = await db
    .insertInto("refused_requests")
    .values({ source, window_started_at: windowStart, count: 1, last_code: resultCode })
    .onConflict((oc) =>
      oc.columns(["source", "window_started_at"]).doUpdateSet((eb) => ({
        count: eb("refused_requests.count", "+", 1),
        last_code: resultCode,
      })),
    )
    .returning("count")
    .executeTakeFirstOrThrow();
  return row.count === 1;
}

/**
 * Writes one audit event per finished window with more than one refusal: how many were not
 * audited one by one. Each row is claimed by deleting it, so when several processes sweep at once
 * every window is reported exactly once.
 */
export async function reportRefusedRequests(db: Kysely<Schema>, audit: AuditLog, now: number): Promise<void> {
  const finished = await db
    .selectFrom("refused_requests")
    .select(["source", "window_started_at"])
    .where("window_started_at", "<=", now - REFUSED_WINDOW_MS)
    .execute();
  for (const { source, window_started_at } of finished) {
    const claimed = await db
      .deleteFrom("refused_requests")
      .where("source", "=", source)
      .where("window_started_at", "=", window_started_at)
      .returning(["count", "last_code"])
      .executeTakeFirst();
    if (claimed === undefined || claimed.count <= 1) continue;
    await audit.append({
      at: now,
      tenantId: null,
      actor: "anonymous",
      subject: `requests:${claimed.count - 1}`,
      sourceIp: source,
      operation: `refused requests in the minute from ${new Date(Number(window_started_at)).toISOString()}`,
      resultCode: claimed.last_code,
      durationMs: null,
      requestId: null,
    });
  }
}
