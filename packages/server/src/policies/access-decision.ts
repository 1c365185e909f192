import type { ServerContext } from "../app/server-context.ts";
import { evaluateAccess } from "./evaluate-access.ts";
import { auditOutcomes } from "./outcome-audit.ts";

/**
 * The question every sign-in asks of the access policies (PRODUCT.md §5 "Access policies"): may
 * this user sign in to this app, from this address, now? The SSO pages ask it after the password
 * and before the second factor; `/v1/auth/*` asks it when the request names an app.
 */
export interface AccessRequest {
  readonly tenantId: string;
  /** The app (OIDC client id) signed in to; undefined: only the tenant-wide policy applies. */
  readonly clientId?: string | undefined;
  readonly userId: string;
  /** The client's address as the server sees it (trusted proxies applied). */
  readonly address: string;
  /** The HTTP request asking, so its audit events can be found beside the outcomes'. */
  readonly requestId?: string | undefined;
  /**
   * Which rules: "rules" the day, time and address rules only (the pages right after the
   * password, a reused provider session, a refresh or device-code grant); "allowance" the daily
   * allowance only (counted once the pages' sign-in is complete); both when omitted (/v1/auth/*).
   */
  readonly only?: "rules" | "allowance" | undefined;
}

/** One rule's verdict that was not a plain pass: an enforced denial, or a logged/ignored one. */
export interface RuleOutcome {
  /** The SSOPolicy* code it yields. */
  readonly code: number;
  readonly rule: string;
  readonly detail: string;
  /** The rule's mode; "error" for a rule that could not be evaluated. */
  readonly mode: string;
  /** Whose policy the rule is in: the tenant's (tenant-wide) or the app's. */
  readonly scope: "tenant" | "app";
}

export interface AccessDecision {
  /** undefined: access allowed. Otherwise the SSOPolicy* code of the denial. */
  readonly denied: number | undefined;
  /** Every non-pass verdict, in evaluation order; each is also in the audit trail. */
  readonly outcomes: readonly RuleOutcome[];
}

/**
 * Evaluates the tenant's and the app's policies for one sign-in (policies/evaluate-access.ts);
 * any enforced denial in either denies. Every outcome is in the audit trail before this returns,
 * so a denial or a logged rule is never acknowledged without its record.
 */
export async function decideAccess(ctx: ServerContext, request: AccessRequest): Promise<AccessDecision> {
  const decision = await evaluateAccess(ctx, request);
  await auditOutcomes(ctx, request, decision.outcomes);
  return decision;
}
