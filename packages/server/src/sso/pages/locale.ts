/**
 * The languages the sign-in pages speak, and the choice among them: the authorization request's
 * `ui_locales` first (the app knows its user), then the browser's Accept-Language, else English.
 */
export const locales = ["en", "de", "es"] as const;
export type Locale = (typeof locales)[number];

const isLocale = (value: string): value is Locale => (locales as readonly string[]).includes(value);

/** The first supported language of a space-separated BCP 47 list (`de-CH en` → de). */
function fromList(tags: readonly string[]): Locale | undefined {
  for (const tag of tags) {
    const language = tag.trim().toLowerCase().split("-")[0] ?? "";
    if (isLocale(language)) return language;
  }
  return undefined;
}

/** Accept-Language ordered by quality (`es;q=0.5, de` → de, es); q=0 means not wanted. */
function acceptedLanguages(header: string): string[] {
  return header
    .split(",")
    .slice(0, 32)
    .map((part, index) => {
      const [tag = "", ...params] = part.split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((entry) => entry.quality > 0 && entry.tag !== "")
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
    .map((entry) => entry.tag);
}

export function pickLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  return (
    fromList((uiLocales ?? "").split(" ").slice(0, 32)) ??
    fromList(acceptedLanguages(acceptLanguage ?? "")) ??
    "en"
  );
}
