import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deletedRows, inBatches, type Sweep, skippingLocked } from "./batches.ts";

/**
 * A daily-allowance counter (policies/policy-store.ts) counts one local day; the row was last
 * raised during that day, which ends at most 25 hours later in any zone. Two days after its last
 * count it can never count again.
 */
const COUNT_KEPT_MS = 2 * 86_400_000;

/** The counter rows are keyed by four columns, so the batch is picked by the whole key. */
export const policySignInsSweep: Sweep = {
  kind: "access_policy_sign_ins",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const { db } = ctx.database;
    const key = ["tenant_id", "scope_key", "user_id", "day"] as const;
    return inBatches(budget, async (limit) =>
      deletedRows(
        await db
          .deleteFrom("access_policy_sign_ins")
          .where(({ eb, refTuple }) =>
            eb(
              refTuple(...key),
              "in",
              skippingLocked(
                ctx,
                db
                  .selectFrom("access_policy_sign_ins")
                  .select(key)
                  .where("updated_at", "<=", now - COUNT_KEPT_MS)
                  .limit(limit),
              ).$asTuple(...key),
            ),
          )
          .executeTakeFirst(),
      ),
    );
  },
};
