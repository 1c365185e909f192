import { randomUUID } from "node:crypto";
import type { ServerContext } from "../../app/server-context.ts";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { renderTemplate } from "../templates/render-template.ts";
import { resolveTemplate } from "../templates/template-store.ts";
import { DeliveryFailed } from "./delivery-failed.ts";
import { sendEmail } from "./email-transport.ts";
import { transportsOf } from "./transport-runtime.ts";
import { sendWebhook } from "./webhook-transport.ts";

export { DeliveryFailed } from "./delivery-failed.ts";

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
 * Renders the tenant's template for the message and hands it to the configured transport of its
 * method (SMTP for e-mail; SMPP or the HTTP webhook for SMS; the webhook for voice). Throws
 * DeliveryFailed, whose message is the transport's error and never the code or the text.
 */
export async function deliverMessage(
  ctx: ServerContext,
  message: OutOfBandMessage,
): Promise<{ readonly transport: string; readonly messageId?: string }> {
  const template = await resolveTemplate(
    ctx.database.db,
    message.tenant.id,
    message.purpose,
    message.method,
    message.locale,
  );
  const rendered = renderTemplate(template, {
    code: message.code,
    minutes: String(message.expiresInMinutes),
    tenant: message.tenant.name,
  });
  const runtime = transportsOf(ctx);
  const transport = transportName(ctx, message.method);
  try {
    const messageId = await send();
    runtime.metrics.messages.inc({ method: message.method, transport, result: "sent" });
    return { transport, messageId };
  } catch (error) {
    runtime.metrics.messages.inc({ method: message.method, transport, result: "failed" });
    throw error;
  }

  async function send(): Promise<string> {
    const { outOfBand } = ctx.config;
    switch (transport) {
      case "smtp":
        await sendEmail(ctx.mailer, message.to, rendered);
        return randomUUID();
      case "smpp":
        return runtime.submitSms(message.tenant.id, message.to, rendered.text);
      case "webhook":
        return sendWebhook(outOfBand, {
          method: message.method === "voice" ? "voice" : "sms",
          to: message.to,
          text: rendered.text,
          purpose: message.purpose,
          locale: template.locale,
        });
      default:
        throw new DeliveryFailed(
          message.method,
          `no ${message.method} transport is configured (outOfBand.${message.method}Transport is none)`,
        );
    }
  }
}

/** The transport a method's messages go through: "smtp", "smpp", "webhook" or "none". */
export function transportName(ctx: ServerContext, method: DeliveryMethod): string {
  if (method === "email") return "smtp";
  return method === "sms" ? ctx.config.outOfBand.smsTransport : ctx.config.outOfBand.voiceTransport;
}
