import type { ServerContext } from "../../../app/server-context.ts";
import type { AuthenticatorRow } from "../../../authenticators/authenticator-store.ts";
import type { SafeHtml } from "../../../pages/html.ts";
import type { Tenant } from "../../../tenants/tenant-store.ts";
import type { UserRow } from "../../../users/user-store.ts";
import type { MessageKey } from "../../pages/messages/en.ts";
import type { Translator } from "../../pages/translate.ts";
import type { SignIn } from "../sign-in-context.ts";

/** The sign-in a factor with a send or wait step serves: its page, its user, the devices usable(). */
export interface FactorSignIn {
  readonly s: SignIn;
  readonly user: UserRow;
  readonly rows: readonly AuthenticatorRow[];
}

/**
 * A page a factor shows instead of the choice of factors (the code form after a send, the push
 * waiting page), with the code the audit trail records for it. Returned by start(); thrown by
 * verify() when the proof is not there yet or was wrong (the code form again, still waiting).
 */
export class FactorPage {
  readonly body: SafeHtml;
  readonly code: number;
  constructor(body: SafeHtml, code: number) {
    this.body = body;
    this.code = code;
  }
}

/** The choice page again with this problem (a push rejected or expired), audited as `code`. */
export class FactorProblem {
  readonly message: MessageKey;
  readonly code: number;
  constructor(message: MessageKey, code: number) {
    this.message = message;
    this.code = code;
  }
}

/**
 * One kind of second factor on the sign-in page. Every kind has this shape and is listed in
 * registry.ts; out-of-band, push and WebAuthn plug in as further entries without the pages or the
 * state machine changing. A factor that sends something first (a code by SMS, a push request)
 * has start(): the choice page's form for it posts `action=send`, never a GET, so a prefetch
 * sends nothing. The step stays `factor` throughout; what was sent is bound to this sign-in by
 * factor-binding.ts, not stored with it.
 */
export interface SecondFactor {
  /** The authenticator type it uses (the `type` of the user's authenticators). */
  readonly type: string;
  /**
   * What it adds to the ID token's `amr` (RFC 8176). Every second factor carries `otp`, which the
   * session and token checks read as "a second factor was proved" (docs/authenticators.md).
   */
  readonly amr: string | readonly string[];
  /** The user's authenticators it can check now: enabled and activated, of its type. */
  usable(rows: readonly AuthenticatorRow[]): AuthenticatorRow[];
  /** The form fields of the factor (inside the page's form, which carries the CSRF token). */
  fields(t: Translator, sign?: FactorSignIn): SafeHtml;
  /** The button of its form on the choice page (default "continue"). */
  readonly button?: MessageKey;
  /**
   * Checks what was posted against `rows` (from usable()). Throws the precise TesseraError, which
   * the page turns into its generic message and the audit trail keeps, or a FactorPage. May
   * return `amr` values the proof showed beyond `amr` (a security key that verified the user).
   */
  verify(
    ctx: ServerContext,
    tenant: Tenant,
    rows: readonly AuthenticatorRow[],
    body: Record<string, unknown>,
    sign?: FactorSignIn,
  ): Promise<readonly string[] | undefined>;
  /**
   * The `amr` value of a first factor after which this factor proves nothing more: a security
   * key is not a second factor to a passkey sign-in that did not verify the user (the same key).
   */
  readonly sameAsFirst?: string;
  /** Sends the code or the request (`action=send`); returns the page to show next. */
  start?(sign: FactorSignIn, body: Record<string, unknown>): Promise<FactorPage>;
  /** What the choice page says when start() failed with a TesseraError. */
  readonly startFailed?: MessageKey;
}

export const amrValues = (factor: SecondFactor): readonly string[] =>
  typeof factor.amr === "string" ? [factor.amr] : factor.amr;
