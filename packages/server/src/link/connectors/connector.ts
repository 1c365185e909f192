import type { CredentialStatus } from "@tessera/codes";
import type {
  InvestmentPosition,
  InvestmentSecurity,
  InvestmentTransaction,
} from "../ofx/read-investment.ts";
import type { Site } from "../sites/site.ts";

/**
 * The connector interface (docs/link.md, "Writing a connector"). A connector is stateless: what
 * it must remember between steps (cookies, tokens) goes into `context.session`, which the job
 * engine stores encrypted, so any server process can run the next step.
 */

/** One field of a second-factor question. */
export interface SecondFactorField {
  readonly name: string;
  /** token: text to type (maybe answering `challenge`); choice: one of `options`; image: the text in `image`. */
  readonly type: "token" | "choice" | "image";
  readonly label: string;
  readonly challenge?: string;
  readonly options?: readonly { readonly value: string; readonly label: string }[];
  /** A data: URL of the captcha image. */
  readonly image?: string;
}

export type LoginResult =
  | { readonly kind: "ok" }
  | { readonly kind: "twofa"; readonly fields: readonly SecondFactorField[] };

export interface ConnectorAccount {
  /** The site's stable id for the account. */
  readonly externalId: string;
  readonly name: string;
  /** checking | savings | credit-card | loan | investment | other */
  readonly kind: string;
  readonly currency: string;
  /** Decimal text as the site gives it. */
  readonly balance?: string;
  readonly numberMask?: string;
}

export interface ConnectorTransaction {
  /** The site's stable id for the transaction: a re-sync updates, never duplicates. */
  readonly externalId: string;
  /** YYYY-MM-DD */
  readonly postedOn: string;
  /** Decimal text, negative for money out. */
  readonly amount: string;
  readonly description: string;
  readonly memo?: string;
  readonly kind?: string;
}

export interface TransactionBatch {
  readonly transactions: readonly ConnectorTransaction[];
  /** complete; partial (only part of the period); unreadable (the site could not give this account's data). */
  readonly coverage: "complete" | "partial" | "unreadable";
  /** loading: older history is still being prepared by the site; ask again later. */
  readonly history: "ready" | "loading";
  /** The account's balance when the statement carries one. */
  readonly balance?: string;
  /** Why an unreadable account could not be read (a field and its line): shown in the job's status. */
  readonly problem?: string;
  /** An investment account's holdings, trades and securities (docs/link.md, "Investment data"). */
  readonly investment?: InvestmentBatch;
}

/** Positions replace the stored ones; transactions and securities are upserted by their ids. */
export interface InvestmentBatch {
  readonly positions: readonly InvestmentPosition[];
  readonly transactions: readonly InvestmentTransaction[];
  readonly securities: readonly InvestmentSecurity[];
}

/** The limits of a connector's HTTP requests (settings link.maxResponseBytes, link.maxRedirects, link.siteAllowPrivateNetworks). */
export interface SiteIo {
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  readonly allowPrivateNetworks: boolean;
}

export interface ConnectorContext {
  readonly site: Site;
  /** The site's base URL. */
  readonly baseUrl: string;
  /** Aborted when the step exceeds the connector timeout, the process shuts down or the job's lease is lost. */
  readonly signal: AbortSignal;
  /**
   * Called by siteRequest before every request; throws when the request must not be sent (the
   * job engine's lease check: a run that lost its job sends the site nothing more).
   */
  readonly beforeRequest?: () => Promise<void>;
  /**
   * Called by siteRequest once the connection is open (for https, the handshake done), right
   * before the request's first byte is written; throws to send nothing. Synchronous on purpose:
   * the name lookup and the connect happen after beforeRequest, and a process paused there (or a
   * lease that lapsed meanwhile) must be caught with no await between the check and the write.
   */
  readonly beforeSend?: () => void;
  /** The credential's fields (decrypted for this step only; never put them in the session). */
  readonly fields: Readonly<Record<string, string>>;
  /** JSON-serialisable state kept between steps, stored encrypted. */
  session: Record<string, unknown>;
  /** The request limits, from the configuration (siteIoOf): required, so no context runs on guesses. */
  readonly io: SiteIo;
}

export interface Connector {
  readonly id: string;
  login(context: ConnectorContext): Promise<LoginResult>;
  /** Answers the second-factor question `login` or a previous `answer` returned. */
  answer(context: ConnectorContext, answers: Readonly<Record<string, string>>): Promise<LoginResult>;
  listAccounts(context: ConnectorContext): Promise<readonly ConnectorAccount[]>;
  /** Transactions posted on or after `since` (YYYY-MM-DD). */
  listTransactions(
    context: ConnectorContext,
    account: ConnectorAccount,
    since: string,
  ): Promise<TransactionBatch>;
}

/** A connector's way to end a step with a credential status (Unauthorized, Locked, Unavailable…). */
export class ConnectorFailure extends Error {
  override readonly name = "ConnectorFailure";
  readonly status: CredentialStatus;
  /** For UndergoingMaintenance and the like: how long the site says to stay away. */
  readonly retryAfterMs: number | undefined;
  /**
   * The site's configuration is at fault (invalid options, an address the policy refuses): no
   * retry can succeed until an operator changes the site, so the job ends at once.
   */
  readonly permanent: boolean;

  constructor(
    status: CredentialStatus,
    message: string,
    options: { retryAfterMs?: number; permanent?: boolean } = {},
  ) {
    super(message);
    this.status = status;
    this.retryAfterMs = options.retryAfterMs;
    this.permanent = options.permanent ?? false;
  }
}
