import { ApiReturnCode } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import type { AccessDecision, AccessRequest, RuleOutcome } from "./access-decision.ts";
import { type OnError, type PolicyRules, type RuleMode, ruleModes, staticRules } from "./policy-rules.ts";
import { countSignIn, type PolicyRow, policyRowsFor, TENANT_SCOPE } from "./policy-store.ts";
import { codeFor, failedCheck } from "./rule-checks.ts";
import { zonedTime } from "./zoned-time.ts";

/** A policy ready to evaluate: its rules parsed, or the reason they could not be. */
interface Loaded {
  readonly row: PolicyRow;
  readonly scope: RuleOutcome["scope"];
  readonly onError: OnError;
  readonly rules: PolicyRules | undefined;
  readonly parseError?: string;
}

function load(row: PolicyRow): Loaded {
  const scope = row.scope_key === TENANT_SCOPE ? "tenant" : "app";
  // Anything but "ignore" fails closed, including a value the API would never have written.
  const onError: OnError = row.on_error === "ignore" ? "ignore" : "deny";
  try {
    return { row, scope, onError, rules: JSON.parse(row.rules) as PolicyRules };
  } catch (error) {
    return { row, scope, onError, rules: undefined, parseError: String(error) };
  }
}

/** A stored mode the API would never have written makes the rule one that cannot be evaluated. */
function modeOf(value: unknown): RuleMode {
  if (!ruleModes.includes(value as RuleMode)) throw new Error(`unknown mode ${String(value)}`);
  return value as RuleMode;
}

const failure = (p: Loaded, rule: string, error: unknown): RuleOutcome => ({
  code: p.onError === "ignore" ? ApiReturnCode.SSOPolicyExceptionIgnored : ApiReturnCode.SSOPolicyException,
  rule,
  mode: "error",
  scope: p.scope,
  detail: `cannot be evaluated (${error instanceof Error ? error.message : String(error)})`.slice(0, 200),
});

const verdict = (p: Loaded, rule: keyof PolicyRules, mode: RuleMode, detail: string): RuleOutcome => ({
  code: codeFor[rule][mode],
  rule,
  mode,
  scope: p.scope,
  detail,
});

/** Thrown inside the allowance transaction to undo its counts when the sign-in is denied. */
class Denied extends Error {}

/**
 * Both policies' day, time and address rules first; only a sign-in none of them denies is counted
 * against the daily allowances, in one transaction over both policies (the tenant's first, so
 * two sign-ins always lock the counters in the same order): when the app's allowance is used up,
 * the tenant's count taken a moment before is undone with it.
 */
export async function evaluateAccess(ctx: ServerContext, request: AccessRequest): Promise<AccessDecision> {
  const rows = await policyRowsFor(ctx.database.db, request.tenantId, request.clientId);
  if (rows.length === 0) return { denied: undefined, outcomes: [] };
  const policies = rows.map(load);
  const now = ctx.clock.now();
  const outcomes: RuleOutcome[] = [];
  for (const p of request.only === "allowance" ? [] : policies) {
    if (p.rules === undefined) {
      outcomes.push(failure(p, "rules", p.parseError));
      continue;
    }
    for (const rule of staticRules) {
      try {
        const failed = failedCheck(p.rules, rule, now, request.address);
        if (failed !== undefined) outcomes.push(verdict(p, rule, modeOf(p.rules[rule]?.mode), failed));
      } catch (error) {
        outcomes.push(failure(p, rule, error));
      }
    }
  }
  const deniedBy = () => outcomes.find((o) => isDenial(o))?.code;
  if (deniedBy() !== undefined || request.only === "rules") return { denied: deniedBy(), outcomes };
  const counted = policies.filter((p) => p.rules?.dailyAllowance !== undefined);
  if (counted.length === 0) return { denied: undefined, outcomes };
  const counts: RuleOutcome[] = [];
  try {
    await ctx.database.db.transaction().execute(async (trx) => {
      for (const p of counted) {
        const allowance = p.rules?.dailyAllowance;
        if (allowance === undefined) continue;
        let day: string;
        let mode: RuleMode;
        try {
          day = zonedTime(now, allowance.timeZone).date;
          mode = modeOf(allowance.mode);
        } catch (error) {
          counts.push(failure(p, "dailyAllowance", error));
          if (p.onError === "deny") throw new Denied();
          continue;
        }
        const key = { tenantId: request.tenantId, scopeKey: p.row.scope_key, userId: request.userId, day };
        if (await countSignIn(trx, key, allowance.maxSignIns, now)) continue;
        const detail = `${allowance.maxSignIns} sign-ins on ${day} (${allowance.timeZone}) used up`;
        counts.push(verdict(p, "dailyAllowance", mode, detail));
        if (mode === "enforce") throw new Denied();
      }
    });
  } catch (error) {
    if (!(error instanceof Denied)) throw error;
  }
  outcomes.push(...counts);
  return { denied: deniedBy(), outcomes };
}

const denials = new Set<number>([
  ApiReturnCode.SSOPolicyNoDailyAccess,
  ApiReturnCode.SSOPolicyTimeRestriction,
  ApiReturnCode.SSOPolicyClientIPInvalid,
  ApiReturnCode.SSOPolicyNoDailyAccessRestriction,
  ApiReturnCode.SSOPolicyException,
]);

export const isDenial = (o: RuleOutcome): boolean => denials.has(o.code);
