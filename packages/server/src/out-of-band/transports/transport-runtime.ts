import { ApiReturnCode } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { type DeliveryReceipt, SmppClient } from "./smpp-client.ts";
import { TransportMetrics } from "./transport-metrics.ts";

/** How many recent SMS ids this process remembers to name the tenant of a later receipt. */
const REMEMBERED_MESSAGES = 10_000;

/**
 * A server context's transport state: the SMPP session (opened on the first SMS), the metrics and
 * which tenant each recent SMS belongs to. Kept beside the context rather than in it, so that only
 * processes that send messages ever hold any of it.
 */
export class TransportRuntime {
  readonly metrics = new TransportMetrics();
  readonly #ctx: ServerContext;
  #smpp: SmppClient | undefined;
  readonly #tenantOf = new Map<string, string>();

  constructor(ctx: ServerContext) {
    this.#ctx = ctx;
  }

  async submitSms(tenantId: string, to: string, text: string): Promise<string> {
    this.#smpp ??= new SmppClient(this.#ctx.config.smpp, (receipt) => void this.#recordReceipt(receipt));
    const messageId = await this.#smpp.submit(to, text);
    this.#tenantOf.set(messageId, tenantId);
    if (this.#tenantOf.size > REMEMBERED_MESSAGES) {
      const oldest = this.#tenantOf.keys().next().value;
      if (oldest !== undefined) this.#tenantOf.delete(oldest);
    }
    return messageId;
  }

  /**
   * A receipt is counted and audited (`sms.delivery-receipt`, subject the gateway's message id,
   * result 0 when delivered, SMSSendError otherwise): it is how an operator learns that codes are
   * accepted by the gateway but never reach phones. Neither number nor text is in it.
   */
  async #recordReceipt(receipt: DeliveryReceipt): Promise<void> {
    this.metrics.receipts.inc({ state: receipt.state });
    try {
      await this.#ctx.audit.append({
        at: this.#ctx.clock.now(),
        tenantId: this.#tenantOf.get(receipt.messageId) ?? null,
        actor: "system",
        subject: `sms:${receipt.messageId}`,
        sourceIp: null,
        operation: `sms.delivery-receipt ${receipt.state}`,
        resultCode: receipt.state === "DELIVRD" ? 0 : ApiReturnCode.SMSSendError,
        durationMs: null,
        requestId: null,
      });
    } catch {
      // The audit trail refuses while shutting down; the metric has counted the receipt.
    }
  }

  async close(): Promise<void> {
    await this.#smpp?.close();
  }
}

const runtimes = new WeakMap<ServerContext, TransportRuntime>();

export function transportsOf(ctx: ServerContext): TransportRuntime {
  let runtime = runtimes.get(ctx);
  if (runtime === undefined) {
    runtime = new TransportRuntime(ctx);
    runtimes.set(ctx, runtime);
  }
  return runtime;
}

/** Closes the SMPP session of a context, if it opened one (server-context.ts close). */
export async function closeTransports(ctx: ServerContext): Promise<void> {
  await runtimes.get(ctx)?.close();
}
