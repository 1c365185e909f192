import { createHash, randomBytes } from "node:crypto";
import type { Selectable } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { RadiusChallengesTable } from "../../storage/schema.ts";

export type RadiusChallengeRow = Selectable<RadiusChallengesTable>;
export type ChallengeKind = "otp" | "sent" | "push";

/** How long a NAS may take to come back with the code (a person reading a phone). */
export const CHALLENGE_TTL_MS = 300_000;

const hashOf = (state: Buffer) => createHash("sha256").update(state).digest("hex");

/**
 * Stores a challenge and returns its State: 32 random bytes (256 bits; RFC 2865 leaves State
 * opaque), stored only as its SHA-256 so that reading the table gives nothing to send.
 */
export async function createRadiusChallenge(
  ctx: ServerContext,
  input: {
    readonly tenantId: string;
    readonly clientId: string;
    readonly userId: string;
    readonly kind: ChallengeKind;
    readonly challengeCodeId?: string;
    readonly approvalId?: string;
  },
): Promise<Buffer> {
  const state = randomBytes(32);
  const now = ctx.clock.now();
  await ctx.database.db
    .insertInto("radius_challenges")
    .values({
      state_hash: hashOf(state),
      tenant_id: input.tenantId,
      client_id: input.clientId,
      user_id: input.userId,
      kind: input.kind,
      challenge_code_id: input.challengeCodeId ?? null,
      approval_id: input.approvalId ?? null,
      created_at: now,
      expires_at: now + CHALLENGE_TTL_MS,
      used_at: null,
    })
    .execute();
  return state;
}

/** The open challenge this State names for this client, or undefined (unknown, used, expired). */
export async function findRadiusChallenge(
  ctx: ServerContext,
  clientId: string,
  state: Buffer,
): Promise<RadiusChallengeRow | undefined> {
  return ctx.database.db
    .selectFrom("radius_challenges")
    .selectAll()
    .where("state_hash", "=", hashOf(state))
    .where("client_id", "=", clientId)
    .where("used_at", "is", null)
    .where("expires_at", ">", ctx.clock.now())
    .executeTakeFirst();
}

/**
 * Spends the challenge by a compare-and-set of `used_at`: of any number of packets carrying one
 * State, in any number of processes, exactly one gets true.
 */
export async function spendRadiusChallenge(ctx: ServerContext, row: RadiusChallengeRow): Promise<boolean> {
  const result = await ctx.database.db
    .updateTable("radius_challenges")
    .set({ used_at: ctx.clock.now() })
    .where("state_hash", "=", row.state_hash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
