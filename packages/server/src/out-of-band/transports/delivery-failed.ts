import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";

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
