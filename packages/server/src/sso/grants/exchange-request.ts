import { errors } from "oidc-provider";

/**
 * A token-exchange request's parameters (RFC 8693 §2.1), as Tessera takes them: one subject token
 * that is an access token, one audience, an optional scope. What is not offered (delegation with
 * an actor token, other token types, resource indicators) is refused, never silently ignored.
 */
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
/** The parameters the grant reads (oidc-provider refuses any of them repeated). */
export const exchangeParameters = [
  "subject_token",
  "subject_token_type",
  "audience",
  "scope",
  "requested_token_type",
  "actor_token",
  "actor_token_type",
  "resource",
];

export interface ExchangeRequest {
  readonly subjectToken: string;
  readonly audience: string;
  readonly scope: string | undefined;
}

/** The request's parameters, or invalid_request / invalid_target naming the one that is wrong. */
export function exchangeRequest(params: Record<string, unknown>): ExchangeRequest {
  const text = (name: string) => {
    const value = params[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const required = (name: string) => {
    const value = text(name);
    if (value === undefined) throw new errors.InvalidRequest(`missing required parameter '${name}'`);
    return value;
  };
  const subjectToken = required("subject_token");
  if (required("subject_token_type") !== ACCESS_TOKEN_TYPE)
    throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  const requested = text("requested_token_type");
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE)
    throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  // Delegation (an actor acting for the subject) is not offered: refused rather than ignored.
  if (text("actor_token") !== undefined || text("actor_token_type") !== undefined)
    throw new errors.InvalidRequest("actor tokens are not supported");
  if (text("resource") !== undefined)
    throw new errors.InvalidTarget("resource is not supported; name the app's client id in audience");
  return { subjectToken, audience: required("audience"), scope: text("scope") };
}
