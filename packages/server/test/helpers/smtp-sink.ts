import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server on a loopback port that keeps what it receives. Recipients at
 * `@refused.test` are rejected with a 550, which is how tests make delivery fail.
 */
export interface ReceivedMail {
  readonly to: string[];
  readonly raw: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** SMTP connections open now, and the most that were ever open at once. */
  readonly connections: { readonly open: number; readonly peak: number };
  /** The messages to one address, oldest first. */
  to(address: string): ReceivedMail[];
  /** Delays every answer to DATA until the returned function is called; resolves `arrived` first. */
  hold(): { arrived: Promise<void>; release: () => void };
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let gate: { arrived: () => void; released: Promise<void> } | undefined;
  const connections = { open: 0, peak: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onConnect(_session, callback) {
      connections.open += 1;
      connections.peak = Math.max(connections.peak, connections.open);
      callback();
    },
    onClose() {
      connections.open -= 1;
    },
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith("@refused.test")) {
        const error = new Error("mailbox unavailable") as Error & { responseCode: number };
        error.responseCode = 550;
        callback(error);
        return;
      }
      // As Postfix answers an unknown recipient: the refusal repeats the address.
      if (address.address.endsWith("@echoes.test")) {
        const error = new Error(
          `5.1.1 <${address.address}>: Recipient address rejected: User unknown`,
        ) as Error & { responseCode: number };
        error.responseCode = 550;
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        if (gate === undefined) callback();
        else {
          gate.arrived();
          gate.released.then(() => callback());
        }
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    messages,
    connections,
    to: (recipient) => messages.filter((m) => m.to.includes(recipient)),
    hold() {
      let arrived = () => {};
      let release = () => {};
      const arrival = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      gate = { arrived, released };
      return {
        arrived: arrival,
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Flags that point a test server at the sink. */
export const smtpFlags = (sink: SmtpSink) => ({
  "smtp.host": "127.0.0.1",
  "smtp.port": sink.port,
  "smtp.timeoutMs": 5000,
});

/** The quoted-printable soft line breaks of a raw message undone, so links can be read. */
export function bodyText(mail: ReceivedMail): string {
  return mail.raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
}

/**
 * The messages to `address` (those `which` keeps) once there are at least `count`: mail is sent
 * after the answer, so a test waits for it rather than expecting it with the response.
 */
export async function mailTo(
  sink: SmtpSink,
  address: string,
  count: number,
  which: (mail: ReceivedMail) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<ReceivedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = sink.to(address).filter(which);
    if (mails.length >= count) return mails;
    if (Date.now() > deadline)
      throw new Error(`${address} received ${mails.length} of ${count} e-mails in time`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const recoveryPattern = /(http:\/\/\S+\/password-recovery\?\S+)/;

/** The link in the `count`th password-recovery e-mail to `address`, once it has arrived. */
export async function recoveryLink(sink: SmtpSink, address: string, count: number): Promise<URL> {
  const mails = await mailTo(sink, address, count, (m) => recoveryPattern.test(bodyText(m)));
  const mail = mails[count - 1];
  return new URL(recoveryPattern.exec(mail === undefined ? "" : bodyText(mail))?.[1] ?? "http://missing/");
}
