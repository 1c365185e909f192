import nodemailer, { type Transporter } from "nodemailer";
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
  const transport: Transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password ?? "" } }),
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    // Plain-text delivery to a local relay is allowed; certificate checks apply whenever TLS is used.
    ignoreTLS: false,
  });
  return {
    async send(message) {
      try {
        await transport.sendMail({
          from: smtp.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
        });
      } catch (error) {
        throw new MailSendError(`SMTP delivery failed: ${(error as Error).message}`, { cause: error });
      }
    },
    close: () => transport.close(),
  };
}
