import type { DomainOperations } from "../../openapi/operation-docs.ts";

const key = {
  "params.purpose":
    "`sign-in-code` (a code to sign in) or `device-verification` (the first code that confirms a new device)",
  "params.method": "`sms`, `voice` or `email`",
  "params.locale": "a BCP 47 tag (`en`, `de`, `de-CH`); stored in canonical form",
};
const text = {
  "body.subject":
    "e-mail only (required there, refused otherwise): the subject line, one line, up to 200 characters",
  "body.body":
    "the message: SMS text, the words a voice call speaks, or the e-mail body. Placeholders `{{code}}` (required), `{{minutes}}` (the code's lifetime) and `{{tenant}}` (the tenant's name); any other `{{…}}` is refused. An SMS must fit one SMS (160 GSM 03.38 characters, or 70 when a character needs UCS-2) with an 8-digit code, 999 minutes and the tenant's name",
};
const example = {
  purpose: "sign-in-code",
  method: "sms",
  locale: "de-CH",
  subject: null,
  body: "{{code}} ist Ihr Anmeldecode fuer {{tenant}}. Gueltig {{minutes}} Minuten.",
  source: "tenant",
};
const path = "/v1/message-templates/:purpose/:method/:locale";

/** The message templates of out-of-band codes (docs/authenticators.md, Transports and message templates). */
export const messageTemplateOperations: DomainOperations = {
  tag: "Message templates",
  operations: {
    "GET /v1/message-templates": {
      summary: "List the tenant's own message templates",
      description:
        "The templates this tenant stored, by purpose, method and locale, in pages; built-in texts are not listed (read one key to see the text that would be sent). Reads only.",
      errors: [],
      response: { templates: [example], nextCursor: null },
    },
    [`GET ${path}`]: {
      fields: key,
      summary: "Read the text a message would be sent with",
      description:
        "The tenant's template for the key, else the built-in one, after locale fallback (de-CH, then de, then en): `locale` and `source` say which text answered. Reads only.",
      errors: [],
      response: { template: example },
    },
    [`PUT ${path}`]: {
      fields: { ...key, ...text },
      summary: "Store the tenant's own template",
      description:
        "Replaces the tenant's text for the key (MalformedRequest naming the field for an unknown placeholder, a body without `{{code}}`, a missing or extra subject, an SMS longer than one SMS). Repeating it is safe.",
      errors: [],
      request: { body: example.body },
      response: { template: example },
    },
    [`DELETE ${path}`]: {
      fields: key,
      summary: "Return to the built-in text",
      description:
        "Deletes the tenant's template for the key, so the built-in text (after locale fallback) is sent again. NotFound when the tenant has none for the key.",
      errors: ["NotFound"],
    },
  },
};
