import type { ServerContext } from "../../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "../../housekeeping/batches.ts";

/** How long past its expiry a ceremony is kept (as ceremony-store.ts's sweepCeremonies): a day. */
const KEPT_AFTER_EXPIRY_MS = 24 * 3600_000;

/**
 * WebAuthn ceremonies, used or not, are deleted a day after they expire: spendCeremony refuses an
 * expired one anyway, so what is deleted can no longer be used. The same rows as
 * sweepCeremonies, in the housekeeping's bounded batches (several processes split the work).
 */
export const webauthnCeremoniesSweep: Sweep = {
  kind: "webauthn_ceremonies",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "webauthn_ceremonies", "id_hash", (rows) =>
      rows.where("expires_at", "<", now - KEPT_AFTER_EXPIRY_MS),
    );
  },
};
