import { ApiReturnCode, byValue } from "@tessera/codes";
import type Provider from "oidc-provider";
import { errors } from "oidc-provider";

/**
 * How a token exchange (token-exchange.ts) is refused. OAuth's error is the contract (RFC 8693
 * §2.2.2); what Tessera adds travels beside it in the JSON, added when oidc-provider emits
 * `grant.error` (it has written its body by then; Koa sends it after the middleware returns):
 * - ExchangeRefused: `invalid_grant` with the envelope (errorCode, errorName, errorMessage) of a
 *   catalog code: 9071 for a subject token that is not a live token of the asking app, the user's
 *   own code (disabled, expired), the SSOPolicy* code of a denying access policy;
 * - TargetNotRegistered: `invalid_target` with `tessera_client_not_registered: true`, so that a
 *   program tells "this client id does not exist at this issuer" from every other refusal (the
 *   identity client's ClientIdNotRegistered). Another tenant's client id is unknown exactly like a
 *   made-up one: nothing says it exists elsewhere.
 */
export const NOT_REGISTERED_DESCRIPTION = "the client id is not registered at this issuer";

export class ExchangeRefused extends errors.InvalidGrant {
  readonly tesseraCode: number;
  constructor(
    detail: string,
    description: string,
    code: number = ApiReturnCode.PartnerUserLoginFailedInvalidToken,
  ) {
    super(detail);
    this.tesseraCode = code;
    this.error_description = description;
  }
}

/** The subject token is unknown, expired, revoked, of another app or of a grant that ended. */
export const invalidSubject = (detail: string) =>
  new ExchangeRefused(detail, "the subject token is not a valid access token of this app");

export class TargetNotRegistered extends errors.InvalidTarget {
  constructor() {
    super(NOT_REGISTERED_DESCRIPTION);
  }
}

/** A registered app that may not be a target (not first-party): it exists, so no flag. */
export const targetRefused = (description: string) => new errors.InvalidTarget(description);

const installed = new WeakSet<Provider>();

export function answerExchangeRefusals(provider: Provider): void {
  if (installed.has(provider)) return;
  installed.add(provider);
  provider.on("grant.error", (koa, error) => {
    const body = koa.body as Record<string, unknown>;
    if (error instanceof TargetNotRegistered) koa.body = { ...body, tessera_client_not_registered: true };
    if (error instanceof ExchangeRefused)
      koa.body = {
        ...body,
        errorCode: error.tesseraCode,
        errorName: byValue("api", error.tesseraCode)?.name ?? "",
        errorMessage: error.error_description,
      };
  });
}
