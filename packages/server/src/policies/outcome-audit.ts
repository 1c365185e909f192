import type { ServerContext } from "../app/server-context.ts";
import type { AccessRequest, RuleOutcome } from "./access-decision.ts";

/** Longest operation text written; the audit API filters operations of up to 200 characters. */
const MAX_OPERATION = 400;

/**
 * One audit event per outcome. The trail's fields are fixed (they are hash-chained), so the rule,
 * its mode, whose policy it is and what failed go into the operation text:
 * `access policy app:<client id> timeOfDay log: 19:30 (Europe/Berlin) is outside 08:00-18:00`.
 * The result code is the outcome's SSOPolicy* code; the actor is the user signing in.
 */
export async function auditOutcomes(
  ctx: ServerContext,
  request: AccessRequest,
  outcomes: readonly RuleOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const user = await ctx.database.db
    .selectFrom("users")
    .select("username")
    .where("id", "=", request.userId)
    .executeTakeFirst();
  const at = ctx.clock.now();
  const policy = (o: RuleOutcome) => (o.scope === "app" ? `app:${request.clientId}` : "tenant");
  await Promise.all(
    outcomes.map((o) =>
      ctx.audit.append({
        at,
        tenantId: request.tenantId,
        actor: `user:${request.userId}`,
        subject: user === undefined ? `user-id:${request.userId}` : `user:${user.username}`,
        sourceIp: request.address,
        operation: `access policy ${policy(o)} ${o.rule} ${o.mode}: ${o.detail}`.slice(0, MAX_OPERATION),
        resultCode: o.code,
        durationMs: null,
        requestId: request.requestId ?? null,
      }),
    ),
  );
}
