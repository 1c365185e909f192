import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { MessagePurpose } from "../transports/deliver-message.ts";

export const messagePurposes = [
  "sign-in-code",
  "device-verification",
] as const satisfies readonly MessagePurpose[];

/** A message's words: `subject` for e-mail only; `body` is the SMS, the spoken text or the e-mail. */
export interface TemplateText {
  readonly subject?: string;
  readonly body: string;
}

type Catalog = Readonly<Record<MessagePurpose, Readonly<Record<DeliveryMethod, TemplateText>>>>;

// SMS texts stay within one GSM 03.38 segment (160 characters, no umlauts) with a long tenant name:
// a code split over two segments can arrive in the wrong order, and each segment is paid for.
const en: Catalog = {
  "sign-in-code": {
    sms: {
      body: "{{code}} is your {{tenant}} sign-in code. It expires in {{minutes}} minutes. Never share it.",
    },
    voice: {
      body: "Hello. Your {{tenant}} sign-in code is {{code}}. Again, your code is {{code}}. It expires in {{minutes}} minutes.",
    },
    email: {
      subject: "Your {{tenant}} sign-in code",
      body: "Your sign-in code for {{tenant}} is:\n\n    {{code}}\n\nIt expires in {{minutes}} minutes. If you did not try to sign in, ignore this e-mail and tell your administrator: someone may know your password.\n",
    },
  },
  "device-verification": {
    sms: {
      body: "{{code}} is your code to confirm this phone for {{tenant}}. It expires in {{minutes}} minutes.",
    },
    voice: {
      body: "Hello. Your code to confirm this phone for {{tenant}} is {{code}}. Again, your code is {{code}}. It expires in {{minutes}} minutes.",
    },
    email: {
      subject: "Confirm your e-mail address for {{tenant}}",
      body: "Your code to confirm this e-mail address for {{tenant}} is:\n\n    {{code}}\n\nIt expires in {{minutes}} minutes. If you did not ask for it, ignore this e-mail.\n",
    },
  },
};

const de: Catalog = {
  "sign-in-code": {
    sms: {
      body: "{{code}} ist Ihr Anmeldecode fuer {{tenant}}. Er gilt {{minutes}} Minuten. Geben Sie ihn nie weiter.",
    },
    voice: {
      body: "Guten Tag. Ihr Anmeldecode für {{tenant}} lautet {{code}}. Noch einmal: {{code}}. Er gilt {{minutes}} Minuten.",
    },
    email: {
      subject: "Ihr Anmeldecode für {{tenant}}",
      body: "Ihr Anmeldecode für {{tenant}} lautet:\n\n    {{code}}\n\nEr gilt {{minutes}} Minuten. Wenn Sie sich nicht anmelden wollten, ignorieren Sie diese E-Mail und informieren Sie Ihre Administration: jemand kennt vielleicht Ihr Passwort.\n",
    },
  },
  "device-verification": {
    sms: {
      body: "{{code}} ist Ihr Code, um dieses Telefon fuer {{tenant}} zu bestaetigen. Er gilt {{minutes}} Minuten.",
    },
    voice: {
      body: "Guten Tag. Ihr Code, um dieses Telefon für {{tenant}} zu bestätigen, lautet {{code}}. Noch einmal: {{code}}. Er gilt {{minutes}} Minuten.",
    },
    email: {
      subject: "Bestätigen Sie Ihre E-Mail-Adresse für {{tenant}}",
      body: "Ihr Code, um diese E-Mail-Adresse für {{tenant}} zu bestätigen, lautet:\n\n    {{code}}\n\nEr gilt {{minutes}} Minuten. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail.\n",
    },
  },
};

/** The texts Tessera ships, by locale; a tenant's own template for a locale replaces the built-in one. */
export const builtInTemplates: Readonly<Record<string, Catalog>> = { en, de };

export function builtInTemplate(
  purpose: MessagePurpose,
  method: DeliveryMethod,
  locale: string,
): TemplateText | undefined {
  return Object.hasOwn(builtInTemplates, locale) ? builtInTemplates[locale]?.[purpose][method] : undefined;
}
