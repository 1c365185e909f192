import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import smpp, { type PDU, type Session } from "smpp";
import type { TesseraConfig } from "../../config/tessera-config.ts";
import { smsLength } from "../templates/render-template.ts";
import { DeliveryFailed } from "./delivery-failed.ts";

/** A delivery receipt (deliver_sm with the MC-delivery-receipt flag) the gateway sent back. */
export interface DeliveryReceipt {
  /** The gateway's message id, as submit_sm_resp gave it. */
  readonly messageId: string;
  /** SMPP final state: DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD. */
  readonly state: string;
}

const statusNames = new Map(Object.entries(smpp.errors).map(([name, value]) => [value, name]));
const statusName = (status: number) =>
  `${statusNames.get(status) ?? "unknown status"} (0x${status.toString(16).padStart(8, "0")})`;

// SMPP 3.4 §5.2.28 message_state values, for receipts that carry the TLV.
const messageStates = [
  "",
  "ENROUTE",
  "DELIVRD",
  "EXPIRED",
  "DELETED",
  "UNDELIV",
  "ACCEPTD",
  "UNKNOWN",
  "REJECTD",
];

const knownStates = new Set(messageStates.filter((state) => state !== ""));

/** Keep-alive: an idle session behind NAT or a gateway's idle timer would otherwise die silently. */
const ENQUIRE_LINK_MS = 30_000;

/**
 * One SMPP 3.4 transceiver session to the SMS gateway, opened on the first message and kept: every
 * later submit_sm reuses it. A lost session (closed, errored, or a submit without answer in time)
 * is dropped, and the next message binds again; messages waiting on it fail with DeliveryFailed
 * rather than wait forever. Every wait is bounded by smpp.timeoutMs.
 */
export class SmppClient {
  readonly #config: TesseraConfig["smpp"];
  readonly #onReceipt: (receipt: DeliveryReceipt) => void;
  #session: Promise<Session> | undefined;
  #closed = false;

  constructor(config: TesseraConfig["smpp"], onReceipt: (receipt: DeliveryReceipt) => void) {
    this.#config = config;
    this.#onReceipt = onReceipt;
  }

  /** Sends one SMS with a delivery receipt requested; answers the gateway's message id. */
  async submit(to: string, text: string): Promise<string> {
    const session = await this.#bound();
    const { sourceAddress } = this.#config;
    const source =
      sourceAddress === undefined
        ? {}
        : /^\+?[0-9]+$/.test(sourceAddress)
          ? { source_addr: sourceAddress.replace(/^\+/, ""), source_addr_ton: 1, source_addr_npi: 1 }
          : { source_addr: sourceAddress, source_addr_ton: 5, source_addr_npi: 0 };
    // Longer than one SMS (a tenant's template with a long name): message_payload carries it whole
    // (SMPP 3.4 §5.3.2.32) and the gateway splits it; one SMS goes in short_message, which every gateway takes.
    const length = smsLength(text);
    const body = length.units <= length.max ? { short_message: text } : { message_payload: text };
    const response = await this.#request(session, "submit_sm", {
      ...source,
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: to.replace(/^\+/, ""),
      registered_delivery: 1,
      ...body,
    });
    if (response.command_status !== 0)
      throw new DeliveryFailed(
        "sms",
        `the SMS gateway refused submit_sm: ${statusName(response.command_status)}`,
      );
    const messageId = response.message_id;
    return typeof messageId === "string" && messageId !== "" ? messageId : randomUUID();
  }

  /** Unbinds and closes the session (at shutdown); later submits fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#session;
    this.#session = undefined;
    const session = await pending?.catch(() => undefined);
    if (session === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => session.destroy(() => resolve()),
        Math.min(this.#config.timeoutMs, 2000),
      );
      session.unbind({}, () => {
        clearTimeout(timer);
        session.close(() => resolve());
      });
      if (!session.socket.writable) session.destroy(() => resolve());
    });
  }

  async #bound(): Promise<Session> {
    if (this.#closed) throw new DeliveryFailed("sms", "the SMPP client is closed");
    const kept = this.#session;
    if (kept !== undefined) {
      const session = await kept;
      // A session this process gave up on (a timed-out submit) or the gateway closed is not reused.
      if (session.socket.writable) return session;
      if (this.#session === kept) this.#session = undefined;
    }
    this.#session ??= this.#opening();
    return this.#session;
  }

  #opening(): Promise<Session> {
    const opening = this.#open();
    // A failed bind is forgotten so that the next message tries again.
    opening.catch(() => {
      if (this.#session === opening) this.#session = undefined;
    });
    return opening;
  }

  #open(): Promise<Session> {
    const { url, systemId, password, timeoutMs } = this.#config;
    const target = new URL(url ?? "smpp://missing");
    const tls = target.protocol === "ssmpp:";
    const host = target.hostname.replace(/^\[|\]$/g, "");
    return new Promise<Session>((resolve, reject) => {
      const session = smpp.connect({
        host,
        port: target.port === "" ? (tls ? 3550 : 2775) : Number(target.port),
        tls,
        // SNI takes a host name only (RFC 6066); the certificate is checked against the host either way.
        ...(tls && isIP(host) === 0 ? { servername: host } : {}),
        auto_enquire_link_period: ENQUIRE_LINK_MS,
      });
      let settled = false;
      const fail = (detail: string, cause?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.destroy();
        reject(new DeliveryFailed("sms", detail, { cause }));
      };
      const timer = setTimeout(
        () => fail(`no SMPP bind within ${timeoutMs} ms (smpp.timeoutMs) to ${target.host}`),
        timeoutMs,
      );
      session.on("error", (error: Error & { code?: string }) =>
        fail(`cannot reach the SMS gateway ${target.host}: ${error.code ?? error.message}`, error),
      );
      session.on("close", () => {
        fail(`the SMS gateway ${target.host} closed the connection before the bind`);
        this.#lost(session);
      });
      session.on("deliver_sm", (pdu: PDU) => this.#deliverSm(session, pdu));
      session.on("enquire_link", (pdu: PDU) => session.send(pdu.response()));
      session.on("unbind", (pdu: PDU) => {
        session.send(pdu.response());
        session.close();
      });
      session.on(tls ? "secureConnect" : "connect", () => {
        session.bind_transceiver({ system_id: systemId ?? "", password: password ?? "" }, (pdu) => {
          if (pdu.command_status !== 0)
            return fail(`the SMS gateway refused the bind: ${statusName(pdu.command_status)}`);
          settled = true;
          clearTimeout(timer);
          resolve(session);
        });
      });
    });
  }

  /** A session that went away is dropped so the next message binds a new one. */
  #lost(session: Session): void {
    const current = this.#session;
    current?.then(
      (s) => {
        if (s === session && this.#session === current) this.#session = undefined;
      },
      () => {},
    );
  }

  /** One request and its response, or DeliveryFailed after smpp.timeoutMs (the session is dropped). */
  #request(session: Session, command: "submit_sm", options: Record<string, unknown>): Promise<PDU> {
    const { timeoutMs } = this.#config;
    return new Promise<PDU>((resolve, reject) => {
      const onClose = () =>
        done(new DeliveryFailed("sms", `the SMS gateway closed the session before answering ${command}`));
      const timer = setTimeout(() => {
        // No answer: the session's state is unknown, so it is not reused.
        session.destroy();
        done(new DeliveryFailed("sms", `no ${command}_resp within ${timeoutMs} ms (smpp.timeoutMs)`));
      }, timeoutMs);
      const done = (result: PDU | Error) => {
        clearTimeout(timer);
        session.off("close", onClose);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      session.once("close", onClose);
      const sent = session[command](options, (pdu) => done(pdu));
      if (!sent) done(new DeliveryFailed("sms", "the SMPP session is not writable"));
    });
  }

  #deliverSm(session: Session, pdu: PDU): void {
    session.send(pdu.response());
    const esmClass = typeof pdu.esm_class === "number" ? pdu.esm_class : 0;
    if ((esmClass & 0x3c) !== 0x04) return; // Not a delivery receipt (a mobile-originated message).
    const receipt = parseReceipt(pdu);
    if (receipt !== undefined) this.#onReceipt(receipt);
  }
}

/** The receipt's id and state, from the TLVs (SMPP 3.4) or the receipt text (Appendix B). */
export function parseReceipt(pdu: PDU): DeliveryReceipt | undefined {
  const short = pdu.short_message as { message?: unknown } | undefined;
  const text = typeof short?.message === "string" ? short.message : "";
  const idFromText = /(?:^|\s)id:(\S{1,65})/i.exec(text)?.[1];
  const stateFromText = /(?:^|\s)stat:(\S{1,7})/i.exec(text)?.[1];
  const messageId = typeof pdu.receipted_message_id === "string" ? pdu.receipted_message_id : idFromText;
  const state =
    typeof pdu.message_state === "number" ? messageStates[pdu.message_state] : stateFromText?.toUpperCase();
  if (messageId === undefined || messageId === "") return undefined;
  // The state labels a metric and names the audit event: only SMPP's own words, so a gateway
  // writing whatever it likes cannot grow the metric's series without bound.
  return { messageId, state: state !== undefined && knownStates.has(state) ? state : "UNKNOWN" };
}
