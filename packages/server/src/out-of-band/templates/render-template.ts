import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { TemplateText } from "./built-in-templates.ts";

/** The placeholders a template may use; anything else in double braces is refused when saved. */
export const templateVariables = ["code", "minutes", "tenant"] as const;
export type TemplateValues = Readonly<Record<(typeof templateVariables)[number], string>>;

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names a text uses, in order (unknown ones included, for validation). */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(placeholder)].map((match) => match[1] ?? "");
}

/**
 * Replaces each placeholder by its value in one pass, so a value that itself holds `{{…}}` (a
 * tenant named "{{code}}") is never expanded again.
 */
export function renderText(text: string, values: TemplateValues): string {
  return text.replace(placeholder, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as keyof TemplateValues] : whole,
  );
}

export interface RenderedMessage {
  readonly subject?: string;
  readonly text: string;
}

export function renderTemplate(template: TemplateText, values: TemplateValues): RenderedMessage {
  const text = renderText(template.body, values);
  return template.subject === undefined ? { text } : { subject: renderText(template.subject, values), text };
}

/** GSM 03.38 default alphabet (one septet each) and its extension table (two septets each). */
const gsmBasic = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const gsmExtension = new Set("^{}\\[~]|€\f");

/** One SMS segment: 160 GSM 03.38 septets, or 70 UTF-16 units when any character needs UCS-2. */
export function smsLength(text: string): {
  readonly encoding: "gsm7" | "ucs2";
  readonly units: number;
  readonly max: number;
} {
  let septets = 0;
  for (const char of text) {
    if (gsmBasic.has(char)) septets += 1;
    else if (gsmExtension.has(char)) septets += 2;
    else return { encoding: "ucs2", units: text.length, max: 70 };
  }
  return { encoding: "gsm7", units: septets, max: 160 };
}

/** Whether a method's messages are SMS, whose length is capped at one segment. */
export const isSms = (method: DeliveryMethod): boolean => method === "sms";
