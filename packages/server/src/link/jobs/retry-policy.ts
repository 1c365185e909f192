import { CredentialStatus } from "@tessera/codes";

/**
 * Which failed attempts are retried automatically, and when: the connection-shaped failures and
 * the transient login failures (the catalog's "after-delay" failures). Everything else needs the
 * user (wrong password, locked account) or is a success.
 */
const MINUTE = 60_000;

export function retryDelayMs(status: number, attempt: number, siteRetryAfterMs?: number): number | undefined {
  switch (status) {
    case CredentialStatus.Unavailable:
      return 15 * MINUTE;
    case CredentialStatus.UndergoingMaintenance:
      return siteRetryAfterMs ?? 30 * MINUTE;
    case CredentialStatus.ConnectionTimeout:
      return MINUTE * 2 ** (attempt - 1);
    case CredentialStatus.Error:
    case CredentialStatus.LoginError:
      return 5 * MINUTE * 2 ** (attempt - 1);
    case CredentialStatus.Conflict:
      return 10 * MINUTE;
    default:
      return undefined;
  }
}
