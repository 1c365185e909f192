import type { IdentityResult } from "../results/identity-result.ts";

/** What `authenticationData()` answers (docs/identity-client.md). Times are Dates; absent when unknown. */
export interface AuthenticationData {
  readonly subject: string;
  /** The tenant's id (the last path segment of the issuer). */
  readonly tenant: string;
  readonly email?: string;
  readonly displayName?: string;
  readonly accessTokenExpiresAt?: Date;
  readonly refreshTokenExpiresAt?: Date;
  readonly idTokenExpiresAt?: Date;
  /** When the user authenticated at the server. */
  readonly authenticatedAt?: Date;
  /** The offline grace period the server signed: from the last confirmation to its end. */
  readonly gracePeriodStart?: Date;
  readonly gracePeriodEnd?: Date;
}

export type AuthenticationResult = IdentityResult<AuthenticationData>;
