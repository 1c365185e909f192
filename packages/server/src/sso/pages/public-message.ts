import { publicMessage } from "@tessera/codes";
import type { Locale } from "./locale.ts";
import { publicMessageKeyOf, publicMessageTables } from "./messages/public-messages.ts";

/**
 * A code's generic public message in `locale`: the same sentence the API's catalog gives it, never
 * the precise reason (that goes to the audit trail). A code outside the API catalog's shared
 * sentences gets the generic "something went wrong".
 */
export function publicMessageIn(locale: Locale, code: number): string {
  const key = publicMessageKeyOf.get(publicMessage(code, "api")) ?? "unknown";
  return publicMessageTables[locale][key];
}
