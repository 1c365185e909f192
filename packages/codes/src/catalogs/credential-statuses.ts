import type { RetryGuidance } from "../code-info.ts";

/**
 * Credential statuses: the published job statuses of a financial-data aggregation API (100–509).
 * The published catalog names both 201 and 205 "Pending"; Tessera keeps the published name of
 * each and gives 205 the identifier `PendingRetry` and a meaning of its own (a retry is scheduled).
 */
export const CredentialStatus = {
  Register: 100,
  Starting: 101,
  Running: 102,
  TokenReceived: 103,
  Finish: 200,
  Pending: 201,
  NoTransactions: 202,
  PartialTransactions: 203,
  Incomplete: 204,
  PendingRetry: 205,
  NoAccounts: 206,
  Unauthorized: 401,
  Invalidtoken: 403,
  Locked: 405,
  Conflict: 406,
  UserAction: 408,
  WrongSite: 409,
  Waiting: 410,
  TwofaTimeout: 411,
  LoginError: 413,
  Error: 500,
  Unavailable: 501,
  ConnectionTimeout: 504,
  UndergoingMaintenance: 509,
} as const;
export type CredentialStatus = (typeof CredentialStatus)[keyof typeof CredentialStatus];

/** Correctly spelled synonyms; same values. */
export const credentialStatusAliases = { InvalidToken: 403 } as const;

/** Published names that differ from Tessera's identifier (only the repeated "Pending"). */
export const credentialPublishedNames: { readonly [K in keyof typeof CredentialStatus]?: string } = {
  PendingRetry: "Pending",
};

export type CredentialStatusDetail = {
  readonly category: string;
  readonly terminal: boolean;
  readonly retry: RetryGuidance;
  readonly securitySensitive: boolean;
  readonly publicMessage: string;
  readonly description: string;
};

/** Columns: category, terminal, retry guidance, public message, description. */
const d = (
  category: string,
  terminal: boolean,
  retry: RetryGuidance,
  publicMessage: string,
  description: string,
): CredentialStatusDetail => ({
  category,
  terminal,
  retry,
  securitySensitive: false,
  publicMessage,
  description,
});

const syncing = "Connecting to your institution…";
const retrying = "Your institution cannot be reached right now. We will try again automatically.";

export const credentialStatusDetails: {
  readonly [K in keyof typeof CredentialStatus]: CredentialStatusDetail;
} = {
  Register: d("progress", false, "never", syncing, "The job was registered and waits for a worker."),
  Starting: d("progress", false, "never", syncing, "A worker took the job and is starting the connector."),
  Running: d(
    "progress",
    false,
    "never",
    syncing,
    "Logged in; accounts and transactions are being downloaded.",
  ),
  TokenReceived: d(
    "progress",
    false,
    "never",
    syncing,
    "The user's second-factor answer arrived; the job continues.",
  ),
  Finish: d(
    "success",
    true,
    "never",
    "Your accounts are up to date.",
    "The sync finished with complete data.",
  ),
  Pending: d(
    "success",
    false,
    "never",
    "Some of your data is ready; the rest is still loading.",
    "Partial data is available now; the rest is downloaded in the background and the job ends with another success status.",
  ),
  NoTransactions: d(
    "success",
    true,
    "never",
    "Your accounts are up to date. There are no new transactions.",
    "The sync finished; the accounts exist but have no transactions in the period.",
  ),
  PartialTransactions: d(
    "success",
    true,
    "never",
    "Some transactions could not be downloaded.",
    "The sync finished, but the site returned transactions for only part of the period or of the accounts.",
  ),
  Incomplete: d(
    "success",
    true,
    "after-delay",
    "Some of your data could not be downloaded.",
    "The sync finished, but the downloaded data is incomplete (some accounts could not be read).",
  ),
  PendingRetry: d(
    "progress",
    false,
    "never",
    retrying,
    "The attempt failed with a retryable status; another attempt is scheduled (its time is in the entry).",
  ),
  NoAccounts: d(
    "success",
    true,
    "never",
    "No accounts were found at your institution.",
    "The login worked but the site shows no accounts for it.",
  ),
  Unauthorized: d(
    "user",
    true,
    "after-user-action",
    "The username or password was not accepted by your institution.",
    "The site rejected the credentials; update them before syncing again.",
  ),
  Invalidtoken: d(
    "user",
    true,
    "after-user-action",
    "The security code was not accepted. Please try again.",
    "The site rejected the second-factor answer.",
  ),
  Locked: d(
    "user",
    true,
    "after-user-action",
    "Your account at your institution is locked. Unlock it there first.",
    "The site reports the account as locked.",
  ),
  Conflict: d(
    "user",
    true,
    "after-delay",
    "Another session is open at your institution. Close it and try again.",
    "The site allows one active session and another one is active.",
  ),
  UserAction: d(
    "user",
    true,
    "after-user-action",
    "Your institution needs you to do something on its website first.",
    "The user must act on the site itself (accept terms, change an expired password, confirm details).",
  ),
  WrongSite: d(
    "user",
    true,
    "after-user-action",
    "These details belong to a different service of the same institution.",
    "The credentials are valid for another site of the same organisation.",
  ),
  Waiting: d(
    "twofa",
    false,
    "after-user-action",
    "Your institution asks for a security code.",
    "The site asks for a second factor; the entry carries the fields to ask and when the question expires.",
  ),
  TwofaTimeout: d(
    "twofa",
    true,
    "after-user-action",
    "The security code was not entered in time.",
    "No second-factor answer arrived before the question expired.",
  ),
  LoginError: d(
    "twofa",
    true,
    "after-delay",
    "We could not sign in to your institution. Please try again later.",
    "The login failed for a reason other than the credentials or the second factor (an unexpected login flow).",
  ),
  Error: d(
    "connection",
    true,
    "after-delay",
    "Something went wrong. Please try again later.",
    "The connector failed unexpectedly (an answer it could not read, an internal fault).",
  ),
  Unavailable: d(
    "connection",
    true,
    "after-delay",
    retrying,
    "The site is unavailable; retried automatically after about 15 minutes.",
  ),
  ConnectionTimeout: d(
    "connection",
    true,
    "after-delay",
    retrying,
    "The site did not answer within the connector's timeout; retried automatically with backoff.",
  ),
  UndergoingMaintenance: d(
    "connection",
    true,
    "after-delay",
    retrying,
    "The site is in a maintenance window; retried automatically after the window.",
  ),
};
