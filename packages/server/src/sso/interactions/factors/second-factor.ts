import type { ServerContext } from "../../../app/server-context.ts";
import type { AuthenticatorRow } from "../../../authenticators/authenticator-store.ts";
import type { SafeHtml } from "../../../pages/html.ts";
import type { Tenant } from "../../../tenants/tenant-store.ts";
import type { Translator } from "../../pages/translate.ts";

/**
 * One kind of second factor on the sign-in page. Every kind has this shape and is listed in
 * registry.ts; out-of-band, push and WebAuthn plug in as further entries without the pages or the
 * state machine changing.
 */
export interface SecondFactor {
  /** The authenticator type it uses (the `type` of the user's authenticators). */
  readonly type: string;
  /** What it adds to the ID token's `amr` (RFC 8176). */
  readonly amr: string;
  /** The user's authenticators it can check now: enabled and activated, of its type. */
  usable(rows: readonly AuthenticatorRow[]): AuthenticatorRow[];
  /** The form fields of the factor (inside the page's form, which carries the CSRF token). */
  fields(t: Translator): SafeHtml;
  /**
   * Checks what was posted against `rows` (from usable()). Throws the precise TesseraError, which
   * the page turns into its generic message and the audit trail keeps.
   */
  verify(
    ctx: ServerContext,
    tenant: Tenant,
    rows: readonly AuthenticatorRow[],
    body: Record<string, unknown>,
  ): Promise<void>;
}
