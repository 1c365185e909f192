import type { ServerContext } from "../../app/server-context.ts";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";

/** Which message a code travels in; each has a template per tenant, channel and locale. */
export type MessagePurpose = "sign-in-code" | "device-verification";

export interface OutOfBandMessage {
  readonly tenant: Tenant;
  readonly method: DeliveryMethod;
  /** Normalised destination: E.164 number or e-mail address. */
  readonly to: string;
  readonly purpose: MessagePurpose;
  /** BCP 47 tag; the template falls back to the language, then to `en`. */
  readonly locale: string;
  readonly code: string;
  readonly expiresInMinutes: number;
}

/**
 * The transport failed. `detail` is the transport's own error for the server log (never the code
 * or the message text); callers answer SMSSendError (sms, voice) or EmailSendError (email).
 */
export class DeliveryFailed extends Error {
  readonly method: DeliveryMethod;
  constructor(method: DeliveryMethod, detail: string, options?: { cause: unknown }) {
    super(detail, options);
    this.name = "DeliveryFailed";
    this.method = method;
  }
}

/**
 * Renders the tenant's template for the message and hands it to the configured transport of its
 * method (SMTP for e-mail; SMPP or the HTTP webhook for SMS; the webhook for voice).
 * FOUNDATION STUB (issue 14): the transports part implements it.
 */
export async function deliverMessage(
  _ctx: ServerContext,
  message: OutOfBandMessage,
): Promise<{ readonly transport: string; readonly messageId?: string }> {
  throw new DeliveryFailed(message.method, "no transport is built yet");
}
