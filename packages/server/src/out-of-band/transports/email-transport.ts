import type { Mailer } from "../../mail/mailer.ts";
import type { RenderedMessage } from "../templates/render-template.ts";
import { DeliveryFailed } from "./delivery-failed.ts";

/** E-mail through the server's SMTP mailer (mail/mailer.ts, smtp.*). */
export async function sendEmail(mailer: Mailer, to: string, message: RenderedMessage): Promise<void> {
  try {
    await mailer.send({ to, subject: message.subject ?? "", text: message.text });
  } catch (error) {
    // The mailer's error names the SMTP failure (refused recipient, connection); never the text.
    throw new DeliveryFailed("email", (error as Error).message, { cause: error });
  }
}
