/** The longest locale tag accepted (BCP 47 tags in practice stay far below). */
export const MAX_LOCALE_LENGTH = 35;

/** The canonical form of a BCP 47 tag ("DE-ch" → "de-CH"), or undefined when it is not one. */
export function canonicalLocale(raw: string): string | undefined {
  if (raw.length > MAX_LOCALE_LENGTH || !/^[A-Za-z0-9-]+$/.test(raw)) return undefined;
  try {
    return Intl.getCanonicalLocales(raw)[0];
  } catch {
    return undefined;
  }
}

/**
 * The locales to try for a tag, most specific first, ending in `en`: de-CH → de-CH, de, en. A tag
 * that is not BCP 47 (a caller's free text) falls straight back to `en`.
 */
export function localeChain(raw: string): string[] {
  const canonical = canonicalLocale(raw);
  const chain: string[] = [];
  if (canonical !== undefined) {
    const parts = canonical.split("-");
    for (let n = parts.length; n >= 1; n -= 1) chain.push(parts.slice(0, n).join("-"));
  }
  if (!chain.includes("en")) chain.push("en");
  return chain;
}
