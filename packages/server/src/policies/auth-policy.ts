import { type ApiCode, ApiReturnCode, byValue, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { findApp } from "../sso/apps/app-store.ts";
import { decideAccess } from "./access-decision.ts";

/**
 * The access policies in `/v1/auth/*`: a tenant's own sign-in screen names the app (`app`, a
 * client id) and gets the same policies as the SSO pages.
 *
 * Order: the app is looked up before the credentials (a wrong client id is the caller's mistake
 * and says nothing about the user, so it costs no password attempt); the policies are decided
 * only after the credentials are right. A denial therefore tells only someone who already proved
 * the password (and code) that the policy refuses: a policy answer is never a credential oracle,
 * and a wrong password answers the same whatever the policies say. The daily allowance counts
 * only credentials that were right.
 */
export const appField = { type: "string", minLength: 1, maxLength: 200 } as const;

/** The JSON schema of the rules a success let through logged or ignored (empty: none, or no app). */
export const policyOutcomesSchema = {
  type: "object",
  properties: {
    outcomes: {
      type: "array",
      items: {
        type: "object",
        properties: {
          code: { type: "integer" },
          name: { type: "string" },
          rule: { type: "string" },
          mode: { type: "string" },
          scope: { type: "string" },
        },
      },
    },
  },
} as const;

/** The named app of the calling tenant; NotFound for an unknown one or another tenant's. */
export async function requireApp(request: FastifyRequest, clientId: string | undefined): Promise<void> {
  if (clientId === undefined) return;
  if ((await findApp(request.server.ctx, request.tenant.id, clientId)) === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, { message: `no app ${clientId}`, field: "body.app" });
}

/** One logged or ignored rule, as a success carries it. */
interface ShownOutcome {
  readonly code: number;
  readonly name: string;
  readonly rule: string;
  readonly mode: string;
  readonly scope: string;
}

export interface PolicyAnswer {
  /** For `success(payload, outcome)`: the first logged/ignored outcome, or plain success. */
  readonly outcome: ApiCode;
  /** Always present, so a client reads `policy.outcomes` without a check; empty without an app. */
  readonly payload: { policy: { outcomes: readonly ShownOutcome[] } };
}

const nothing: PolicyAnswer = { outcome: ApiReturnCode.Success, payload: { policy: { outcomes: [] } } };

/**
 * Decides access for a user whose credentials were right; throws the SSOPolicy* denial. Without an
 * app, or for a token nobody holds (no user signs in), there is nothing to decide.
 */
export async function applyPolicies(
  request: FastifyRequest,
  clientId: string | undefined,
  userId: string | undefined,
): Promise<PolicyAnswer> {
  if (clientId === undefined || userId === undefined) return nothing;
  const decision = await decideAccess(request.server.ctx, {
    tenantId: request.tenant.id,
    clientId,
    userId,
    address: request.ip,
    requestId: request.id,
  });
  const first = decision.outcomes[0];
  if (decision.denied !== undefined) {
    const denial = decision.outcomes.find((o) => o.code === decision.denied) ?? first;
    throw new TesseraError(
      decision.denied as ApiCode,
      denial === undefined
        ? {}
        : { message: `access policy (${denial.scope}) ${denial.rule}: ${denial.detail}` },
    );
  }
  if (first === undefined) return nothing;
  const outcomes = decision.outcomes.map((o) => ({
    code: o.code,
    name: byValue("api", o.code)?.name ?? String(o.code),
    rule: o.rule,
    mode: o.mode,
    scope: o.scope,
  }));
  return { outcome: first.code as ApiCode, payload: { policy: { outcomes } } };
}
