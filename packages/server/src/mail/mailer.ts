import type { Transporter } from "nodemailer";
import type { TesseraConfig } from "../config/tessera-config.ts";

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Sending failed; callers turn this into their own catalog code (EmailSendError, …). */
export class MailSendError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "MailSendError";
  }
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * SMTP connections one process keeps open at most: every send waits for one of them, so a burst
 * of e-mails (or a slow SMTP server) never holds more sockets than this.
 */
export const MAIL_CONNECTIONS = 4;

/** SMTP through nodemailer. Without an SMTP host every send fails, so features report it honestly. */
export function createMailer(smtp: TesseraConfig["smtp"]): Mailer {
  if (smtp.host === undefined) {
    return {
      send: async () => {
        throw new MailSendError("no SMTP server is configured (smtp.host)");
      },
      close: () => {},
    };
  }
  // nodemailer is loaded on the first send: most processes never send mail, and it is large.
  let transport: Promise<Transporter> | undefined;
  const open = () => {
    transport ??= import("nodemailer").then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        pool: true,
        maxConnections: MAIL_CONNECTIONS,
        ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password ?? "" } }),
        connectionTimeout: smtp.timeoutMs,
        greetingTimeout: smtp.timeoutMs,
        socketTimeout: smtp.timeoutMs,
      }),
    );
    return transport;
  };
  return {
    async send(message) {
      try {
        await (await open()).sendMail({
          from: smtp.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
        });
      } catch (error) {
        throw new MailSendError(`SMTP delivery failed: ${(error as Error).message}`, { cause: error });
      }
    },
    close: () => {
      transport?.then((t) => t.close());
    },
  };
}
