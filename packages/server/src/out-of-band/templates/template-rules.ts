import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { TemplateText } from "./built-in-templates.ts";
import { placeholdersOf, renderText, smsLength, templateVariables } from "./render-template.ts";

/** The longest code (8 digits) and lifetime (999 minutes) a message can carry: the SMS check's worst case. */
const WORST_CASE = { code: "12345678", minutes: "999" } as const;

const refuse = (field: string, message: string) =>
  new TesseraError(TesseraApiCode.MalformedRequest, { message, field });

/**
 * Checks a tenant's template before it is saved: only known placeholders, `{{code}}` in the body
 * (a message without the code is useless, and a typo would otherwise be noticed only by users), a
 * subject for e-mail and none otherwise, and an SMS that fits one segment with the longest code
 * and this tenant's name (a split code can arrive out of order and costs twice).
 */
export function checkTemplate(method: DeliveryMethod, text: TemplateText, tenantName: string): void {
  for (const [field, value] of [
    ["body.body", text.body],
    ["body.subject", text.subject ?? ""],
  ] as const) {
    const unknown = placeholdersOf(value).find(
      (name) => !(templateVariables as readonly string[]).includes(name),
    );
    if (unknown !== undefined)
      throw refuse(field, `unknown placeholder {{${unknown}}}; known: {{code}}, {{minutes}}, {{tenant}}`);
  }
  if (!placeholdersOf(text.body).includes("code"))
    throw refuse("body.body", "the body must contain {{code}}");
  if (method === "email" && text.subject === undefined)
    throw refuse("body.subject", "an e-mail template needs a subject");
  if (method !== "email" && text.subject !== undefined)
    throw refuse("body.subject", `a ${method} message has no subject`);
  if (method === "sms") {
    const length = smsLength(renderText(text.body, { ...WORST_CASE, tenant: tenantName }));
    if (length.units > length.max)
      throw refuse(
        "body.body",
        `the SMS renders to ${length.units} ${length.encoding === "gsm7" ? "GSM 03.38 characters" : "UCS-2 units"}, more than one SMS (${length.max})`,
      );
  }
}
