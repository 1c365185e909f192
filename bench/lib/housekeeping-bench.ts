import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { ServerContext } from "../../packages/server/src/app/server-context.ts";
import { sessionsSweep } from "../../packages/server/src/housekeeping/sweep-sessions.ts";
import { insertUser } from "../../packages/server/src/users/user-store.ts";

/**
 * Housekeeping's bounded batches (src/housekeeping/) next to the single unbounded DELETE the
 * server used before issue #11, on the same rows: rows deleted per second, and the longest single
 * statement, which is how long one delete holds its locks (SQLite's one writer, PostgreSQL's rows).
 */
export interface HousekeepingFigures {
  readonly rows: number;
  readonly batchSize: number;
  readonly batched: { readonly rowsPerSecond: number; readonly longestStatementMs: number };
  readonly singleDelete: { readonly rowsPerSecond: number; readonly longestStatementMs: number };
}

async function seedExpiredSessions(ctx: ServerContext, tenantId: string, userId: string, rows: number) {
  const now = ctx.clock.now();
  for (let start = 0; start < rows; start += 1000) {
    const values = Array.from({ length: Math.min(1000, rows - start) }, () => ({
      token_hash: randomUUID(),
      tenant_id: tenantId,
      user_id: userId,
      type: "bench",
      created_at: now - 7_200_000,
      expires_at: now - 3_600_000,
      revoked_at: null,
    }));
    await ctx.database.db.insertInto("sessions").values(values).execute();
  }
}

/** The user the sessions belong to (sessions reference users). */
async function benchUser(ctx: ServerContext, tenantId: string): Promise<string> {
  const user = await insertUser(
    ctx.database.db,
    tenantId,
    { username: "housekeeping-bench" },
    ctx.clock.now(),
  );
  if (user === undefined) throw new Error("the bench user exists already");
  return user.id;
}

export async function benchHousekeeping(
  ctx: ServerContext,
  tenantId: string,
  rows: number,
): Promise<HousekeepingFigures> {
  const userId = await benchUser(ctx, tenantId);
  const batchSize = ctx.config.housekeeping.batchSize;
  const now = ctx.clock.now();

  await seedExpiredSessions(ctx, tenantId, userId, rows);
  let longest = 0;
  const batchedStarted = performance.now();
  for (;;) {
    const started = performance.now();
    const deleted = await sessionsSweep.run(ctx, now, { batchSize, maxBatches: 1 });
    longest = Math.max(longest, performance.now() - started);
    if (deleted < batchSize) break;
  }
  const batchedSeconds = (performance.now() - batchedStarted) / 1000;

  await seedExpiredSessions(ctx, tenantId, userId, rows);
  const singleStarted = performance.now();
  const single = await sql`delete from sessions where expires_at <= ${now}`.execute(ctx.database.db);
  const singleMs = performance.now() - singleStarted;
  if (Number(single.numAffectedRows) !== rows)
    throw new Error(`the single DELETE removed ${single.numAffectedRows} of ${rows} rows`);

  return {
    rows,
    batchSize,
    batched: {
      rowsPerSecond: Math.round(rows / batchedSeconds),
      longestStatementMs: Math.round(longest * 10) / 10,
    },
    singleDelete: {
      rowsPerSecond: Math.round(rows / (singleMs / 1000)),
      longestStatementMs: Math.round(singleMs * 10) / 10,
    },
  };
}
