import { randomUUID } from "node:crypto";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { TesseraConfig } from "../../config/tessera-config.ts";
import { signature } from "../../link/webhooks/webhook-signature.ts";
import { DeliveryFailed } from "./delivery-failed.ts";

/** The one JSON body the webhook transport POSTs (docs/authenticators.md). */
export interface WebhookMessage {
  readonly method: Exclude<DeliveryMethod, "email">;
  readonly to: string;
  readonly text: string;
  readonly purpose: string;
  readonly locale: string;
}

/**
 * POSTs the signed message; any 2xx is accepted, anything else (a redirect included: the text is
 * never sent on to a second address) is DeliveryFailed naming the status or the network error.
 * The receiver's answer body is not read into the error: it might echo the text, and so the code.
 */
export async function sendWebhook(
  outOfBand: TesseraConfig["outOfBand"],
  message: WebhookMessage,
): Promise<string> {
  const { webhookUrl, webhookSecret, webhookTimeoutMs } = outOfBand;
  // transportConfigProblems refuses to start without both; checked again so a slip cannot send unsigned.
  if (webhookUrl === undefined || webhookSecret === undefined)
    throw new DeliveryFailed(
      message.method,
      "the webhook transport has no outOfBand.webhookUrl or webhookSecret",
    );
  const messageId = randomUUID();
  const body = JSON.stringify({ ...message, messageId });
  // The same signature as Link's webhooks, so one receiver library verifies both. Wall-clock time,
  // not the server's clock: the receiver compares it with its own.
  const signed = signature(webhookSecret, Math.floor(Date.now() / 1000), body);
  let response: Response;
  try {
    response = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "tessera-signature": signed },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(webhookTimeoutMs),
    });
  } catch (error) {
    throw new DeliveryFailed(message.method, `webhook request failed: ${describe(error, webhookTimeoutMs)}`, {
      cause: error,
    });
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299)
    throw new DeliveryFailed(message.method, `webhook answered HTTP ${response.status}`);
  return messageId;
}

function describe(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer within ${timeoutMs} ms (outOfBand.webhookTimeoutMs)`;
  const cause = e.cause;
  return cause === undefined ? e.message : `${cause.code ?? ""} ${cause.message ?? ""}`.trim();
}
