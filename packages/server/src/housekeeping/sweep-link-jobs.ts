import type { ServerContext } from "../app/server-context.ts";
import { type Budget, inBatches, type Sweep, skippingLocked } from "./batches.ts";
import { linkRetentionCutoff } from "./retention.ts";

/**
 * Finished sync jobs past `link.retentionDays`, their timelines with them (link_job_events cascade).
 * Each credential's latest job stays whatever its age: the credential points at it (lastJobId) and
 * its status is the credential's. A kept job is walked past once per round, not once per batch:
 * batches follow (finished_at, id) in the index, each starting after the last row the previous one
 * deleted.
 */
export const linkJobsSweep: Sweep = {
  kind: "link_jobs",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const cutoff = linkRetentionCutoff(ctx.config, now);
    if (cutoff === undefined) return 0;
    const db = ctx.database.db;
    let after: readonly [number, string] | undefined;
    return inBatches(budget, async (limit) => {
      const deleted = await db
        .deleteFrom("link_jobs")
        .where("id", "in", () =>
          skippingLocked(
            ctx,
            db
              .selectFrom("link_jobs as job")
              .select("job.id")
              .where("job.phase", "=", "done")
              .where("job.finished_at", "<=", cutoff)
              .$if(after !== undefined, (query) =>
                query.where((eb) =>
                  eb(
                    eb.refTuple("job.finished_at", "job.id"),
                    ">",
                    eb.tuple(after?.[0] ?? 0, after?.[1] ?? ""),
                  ),
                ),
              )
              .where(({ not, exists, selectFrom }) =>
                not(
                  exists(
                    selectFrom("link_credentials as credential")
                      .select("credential.id")
                      .whereRef("credential.id", "=", "job.credential_id")
                      .whereRef("credential.last_job_id", "=", "job.id"),
                  ),
                ),
              )
              .orderBy("job.finished_at")
              .orderBy("job.id")
              .limit(limit),
          ),
        )
        .returning(["finished_at", "id"])
        .execute();
      for (const row of deleted) {
        const key = [Number(row.finished_at), row.id] as const;
        if (after === undefined || key[0] > after[0] || (key[0] === after[0] && key[1] > after[1]))
          after = key;
      }
      return deleted.length;
    });
  },
};
