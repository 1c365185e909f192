/**
 * The Sandbox Bank's documented test logins (docs/link.md): each produces one credential status
 * deterministically. Every login's password is `sandbox`; any other password is Unauthorized.
 * Second factors: the token is 123456, the picture is "anchor", the captcha text is "W7K2P".
 */
export const SANDBOX_PASSWORD = "sandbox";

export type Scenario =
  | "good"
  | "pending"
  | "no-transactions"
  | "partial"
  | "incomplete"
  | "no-accounts"
  | "token"
  | "choice"
  | "captcha"
  | "locked"
  | "conflict"
  | "user-action"
  | "login-error"
  | "error"
  | "unavailable"
  | "unavailable-once"
  | "timeout"
  | "maintenance"
  | "business"
  | "brokerage";

export interface TestLogin {
  readonly username: string;
  readonly scenario: Scenario;
  /** What a sync of this login ends with on the personal site (the documentation's table). */
  readonly outcome: string;
}

export const testLogins: readonly TestLogin[] = [
  { username: "user_good", scenario: "good", outcome: "200 Finish: two accounts with transactions" },
  {
    username: "user_pending",
    scenario: "pending",
    outcome: "201 Pending (recent data), then 200 Finish (history)",
  },
  { username: "user_no_transactions", scenario: "no-transactions", outcome: "202 NoTransactions" },
  {
    username: "user_partial",
    scenario: "partial",
    outcome: "203 PartialTransactions (only the last 30 days)",
  },
  {
    username: "user_incomplete",
    scenario: "incomplete",
    outcome: "204 Incomplete (one account cannot be read)",
  },
  { username: "user_no_accounts", scenario: "no-accounts", outcome: "206 NoAccounts" },
  {
    username: "user_token",
    scenario: "token",
    outcome: "410 Waiting (token with a challenge; answer 123456) → 103 → 200",
  },
  {
    username: "user_choice",
    scenario: "choice",
    outcome: "410 Waiting (choose your picture; answer anchor) → 103 → 200",
  },
  {
    username: "user_captcha",
    scenario: "captcha",
    outcome: "410 Waiting (image captcha; answer W7K2P) → 103 → 200",
  },
  { username: "user_locked", scenario: "locked", outcome: "405 Locked" },
  { username: "user_conflict", scenario: "conflict", outcome: "406 Conflict (another session is active)" },
  {
    username: "user_action",
    scenario: "user-action",
    outcome: "408 UserAction (accept new terms at the bank)",
  },
  {
    username: "user_login_error",
    scenario: "login-error",
    outcome: "413 LoginError (an unknown login step)",
  },
  { username: "user_error", scenario: "error", outcome: "500 Error (an answer the connector cannot read)" },
  {
    username: "user_unavailable",
    scenario: "unavailable",
    outcome: "501 Unavailable, retried about every 15 minutes",
  },
  {
    username: "user_unavailable_once",
    scenario: "unavailable-once",
    outcome: "501 Unavailable, 205 PendingRetry, then 200 Finish on the retry",
  },
  {
    username: "user_timeout",
    scenario: "timeout",
    outcome: "504 ConnectionTimeout (the site stalls), retried with backoff",
  },
  {
    username: "user_maintenance",
    scenario: "maintenance",
    outcome: "509 UndergoingMaintenance, retried after the window",
  },
  {
    username: "business_good",
    scenario: "business",
    outcome: "200 Finish on Sandbox Bank Business; 409 WrongSite on the personal site",
  },
  {
    username: "user_brokerage",
    scenario: "brokerage",
    outcome: "200 Finish: one investment account with positions, trades and cash (OFX INVSTMTRS)",
  },
];

export function scenarioOf(username: string): Scenario | undefined {
  return testLogins.find((login) => login.username === username)?.scenario;
}

export const TOKEN_ANSWER = "123456";
export const CHOICE_ANSWER = "anchor";
export const CAPTCHA_ANSWER = "W7K2P";
/** How long the maintenance window announced in Retry-After lasts. */
export const MAINTENANCE_SECONDS = 1800;
