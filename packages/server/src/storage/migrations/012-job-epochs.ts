import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Claim epochs for sync jobs (link/jobs/job-machine.md, "Fencing"): every claim of a job increments
 * `lease_epoch`, and every write a runner makes checks phase, lease owner AND epoch. The owner alone
 * cannot tell two runs of one process apart: a process whose run stalled past its lease may claim
 * the same job again, and the old run must then write nothing. Existing rows start at 0; their next
 * claim makes them 1.
 */
export const jobEpochs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("link_jobs")
      .addColumn("lease_epoch", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
