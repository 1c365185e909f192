import type { Mailer } from "../../mail/mailer.ts";
import type { RenderedMessage } from "../templates/render-template.ts";
import { DeliveryFailed } from "./delivery-failed.ts";

/** E-mail through the server's SMTP mailer (mail/mailer.ts, smtp.*). */
export async function sendEmail(mailer: Mailer, to: string, message: RenderedMessage): Promise<void> {
  try {
    await mailer.send({ to, subject: message.subject ?? "", text: message.text });
  } catch (error) {
    // The mailer's error names the SMTP failure (refused recipient, connection); never the text.
    // SMTP servers repeat the recipient in their refusals ("550 5.1.1 <ada@…>: Recipient address
    // rejected"), and the error goes to the server log: the address is cut out of the detail, and
    // the raw error is not kept as the cause, whose message the log would show as well.
    throw new DeliveryFailed("email", withoutAddress((error as Error).message, to));
  }
}

function withoutAddress(detail: string, address: string): string {
  const lower = detail.toLowerCase();
  const needle = address.toLowerCase();
  let out = "";
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, from)) {
    out += `${detail.slice(from, at)}[recipient]`;
    from = at + needle.length;
  }
  return out + detail.slice(from);
}
