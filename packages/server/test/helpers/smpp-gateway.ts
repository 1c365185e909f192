import type { AddressInfo } from "node:net";
import smpp, { type PDU, type Session } from "smpp";

/** A submit_sm the gateway accepted, decoded. */
export interface SubmittedSms {
  readonly messageId: string;
  readonly to: string;
  readonly from: string;
  readonly text: string;
  readonly registeredDelivery: number;
}

/**
 * A real SMPP 3.4 gateway (SMSC) on a loopback port, built on the smpp package's server: it checks
 * the bind's system_id and password, keeps every submit_sm and can send the delivery receipt of a
 * message back over the session that submitted it. `mode` makes it misbehave for failure tests.
 */
export interface SmppGateway {
  readonly url: string;
  readonly submitted: SubmittedSms[];
  /** Binds seen (accepted or refused). */
  readonly binds: number;
  mode: "normal" | "silent-submit";
  /** Sends a deliver_sm receipt for a submitted message with the given final state. */
  receipt(messageId: string, state: "DELIVRD" | "UNDELIV"): Promise<void>;
  /** Drops every open session (as a gateway restart would). */
  dropSessions(): void;
  close(): Promise<void>;
}

export async function startSmppGateway(
  credentials: { systemId: string; password: string },
  /** Serve SMPP over TLS (ssmpp://) with this key and certificate. */
  tls?: { key: string; cert: string },
): Promise<SmppGateway> {
  const submitted: SubmittedSms[] = [];
  const sessions = new Map<string, Session>();
  const open = new Set<Session>();
  let binds = 0;
  let counter = 0;
  const gateway: SmppGateway = {
    url: "",
    submitted,
    get binds() {
      return binds;
    },
    mode: "normal",
    receipt(messageId, state) {
      const session = sessions.get(messageId);
      if (session === undefined) throw new Error(`no session submitted ${messageId}`);
      return new Promise((resolve) => {
        session.deliver_sm(
          {
            esm_class: 0x04,
            source_addr: "447700900123",
            destination_addr: "TESSERA",
            short_message: `id:${messageId} sub:001 dlvrd:${state === "DELIVRD" ? "001" : "000"} submit date:2611301200 done date:2611301201 stat:${state} err:000 text:`,
            receipted_message_id: messageId,
            message_state: state === "DELIVRD" ? 2 : 5,
          },
          () => resolve(),
        );
      });
    },
    dropSessions() {
      for (const session of open) session.destroy();
    },
    close() {
      gateway.dropSessions();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  const onSession = (session: Session) => {
    open.add(session);
    session.on("close", () => open.delete(session));
    session.on("error", () => session.destroy());
    session.on("bind_transceiver", (pdu: PDU) => {
      binds += 1;
      const ok = pdu.system_id === credentials.systemId && pdu.password === credentials.password;
      session.send(pdu.response({ command_status: ok ? 0 : smpp.errors.ESME_RINVPASWD }));
      if (!ok) session.close();
    });
    session.on("enquire_link", (pdu: PDU) => session.send(pdu.response()));
    session.on("unbind", (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on("submit_sm", (pdu: PDU) => {
      if (gateway.mode === "silent-submit") return;
      counter += 1;
      const messageId = `msg-${counter}`;
      const message = (pdu.message_payload ?? pdu.short_message) as { message?: string } | undefined;
      submitted.push({
        messageId,
        to: String(pdu.destination_addr),
        from: String(pdu.source_addr),
        text: String(message?.message ?? ""),
        registeredDelivery: Number(pdu.registered_delivery),
      });
      sessions.set(messageId, session);
      session.send(pdu.response({ message_id: messageId }));
    });
  };
  const server = tls === undefined ? smpp.createServer(onSession) : smpp.createServer(tls, onSession);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(gateway, { url: `${tls === undefined ? "smpp" : "ssmpp"}://127.0.0.1:${port}` });
}
