import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { Classified } from "../results/classify-failure.ts";

/** An OAuth error answer (`{error: code}`) from the server, as openid-client reports it. */
export const isOAuthError = (error: unknown, code: string): error is oidc.ResponseBodyError =>
  error instanceof oidc.ResponseBodyError && error.error === code;

/**
 * The server's distinct answer for a client id it does not know (parts.md wire contract):
 * `tessera_client_not_registered: true` beside `invalid_client` or `invalid_target`.
 */
export const isNotRegistered = (error: unknown): boolean =>
  error instanceof oidc.ResponseBodyError && error.cause.tessera_client_not_registered === true;

/** The failures that mean "the server cannot be asked now": the offline decision takes over. */
const unreachable = new Set<IdentityStatusCode>([
  IdentityStatusCode.ConnectionError,
  IdentityStatusCode.TimeOut,
  IdentityStatusCode.ServerError,
]);

export const isUnreachable = (cause: Classified): boolean => unreachable.has(cause.status);
