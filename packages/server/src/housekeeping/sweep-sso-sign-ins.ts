import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "./batches.ts";

/**
 * A sign-in's state (sso/interactions/) is useless once its interaction has expired: it is read
 * only while the interaction lives, and an expired row already answers as absent. It is kept an
 * hour longer so a replay shortly after the end still finds the finished row (and is told apart
 * in the audit trail as a replay rather than an unknown interaction); then it is deleted, with
 * the TOTP token its self-enrolment step made if nobody confirmed it (sso/interactions/
 * enrolment-token.ts): without its sign-in that token can never be confirmed, and abandoned
 * enrolments must not pile up tokens.
 */
export const SIGN_IN_KEPT_MS = 3600_000;

export const ssoSignInsSweep: Sweep = {
  kind: "sso_sign_ins",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    await ctx.database.db
      .deleteFrom("authenticators")
      .where("activated", "=", 0)
      .where("id", "in", (eb) =>
        eb
          .selectFrom("sso_sign_ins")
          .select("enrol_id")
          .where("expires_at", "<=", now - SIGN_IN_KEPT_MS)
          .where("enrol_id", "is not", null)
          .$narrowType<{ enrol_id: string }>(),
      )
      .execute();
    return deleteDueInBatches(ctx, budget, "sso_sign_ins", "uid_hash", (rows) =>
      rows.where("expires_at", "<=", now - SIGN_IN_KEPT_MS),
    );
  },
};
