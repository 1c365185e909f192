import { Counter, type Metric } from "prom-client";

/** The out-of-band transports' metrics, one set per server context (like housekeeping's). */
export class TransportMetrics {
  readonly messages = new Counter({
    name: "tessera_out_of_band_messages_total",
    help: "Out-of-band code messages handed to a transport, by method, transport and result (sent, failed)",
    labelNames: ["method", "transport", "result"] as const,
    registers: [],
  });
  readonly receipts = new Counter({
    name: "tessera_sms_delivery_receipts_total",
    help: "SMPP delivery receipts received from the SMS gateway, by final state (DELIVRD, UNDELIV, EXPIRED, …)",
    labelNames: ["state"] as const,
    registers: [],
  });

  constructor() {
    // Series exist from the start, so an alert on increase(...failed...) works before the first failure.
    for (const result of ["sent", "failed"])
      this.messages.inc({ method: "email", transport: "smtp", result }, 0);
    for (const state of ["DELIVRD", "UNDELIV"]) this.receipts.inc({ state }, 0);
  }

  get all(): readonly Metric[] {
    return [this.messages, this.receipts];
  }
}
