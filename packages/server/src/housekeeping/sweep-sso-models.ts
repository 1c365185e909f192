import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deletedRows, inBatches, type Sweep, skippingLocked } from "./batches.ts";

/**
 * oidc-provider's artefacts (sso_models: codes, tokens, grants, sessions, interactions) past
 * their expiry. The adapter already treats such a row as absent (sso/provider/oidc-adapter.ts),
 * so deleting it changes no answer. A consumed code stays until its expiry like any other: while
 * it is there, a second redemption is recognised and revokes what the first one issued; after
 * it, the code is refused as unknown.
 *
 * The table's key is (model, id_hash), so the batch is picked by id_hash and the outer statement
 * repeats the expiry: a row of another model that happened to share an id_hash is never deleted
 * before its time.
 */
export const ssoModelsSweep: Sweep = {
  kind: "sso_models",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const { db } = ctx.database;
    return inBatches(budget, async (limit) =>
      deletedRows(
        await db
          .deleteFrom("sso_models")
          .where("expires_at", "<=", now)
          .where("id_hash", "in", () =>
            skippingLocked(
              ctx,
              db.selectFrom("sso_models").select("id_hash").where("expires_at", "<=", now).limit(limit),
            ),
          )
          .executeTakeFirst(),
      ),
    );
  },
};
