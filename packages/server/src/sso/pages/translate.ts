import type { Locale } from "./locale.ts";
import { de } from "./messages/de.ts";
import { en, type MessageKey, type Messages } from "./messages/en.ts";
import { es } from "./messages/es.ts";

const tables: { readonly [locale in Locale]: Messages } = { en, de, es };

/** The text of `key` in `locale`, with `{name}` placeholders filled from `values` (not escaped: the page template escapes). */
export function translate(locale: Locale, key: MessageKey, values: Record<string, string> = {}): string {
  return tables[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export type Translator = (key: MessageKey, values?: Record<string, string>) => string;

export const translatorFor =
  (locale: Locale): Translator =>
  (key, values) =>
    translate(locale, key, values);
