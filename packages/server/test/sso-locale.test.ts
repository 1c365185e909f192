import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiReturnCode, catalogs, publicMessage, TesseraApiCode } from "@tessera/codes";
import fc from "fast-check";
import { locales, pickLocale } from "../src/sso/pages/locale.ts";
import { publicMessageIn } from "../src/sso/pages/public-message.ts";

/** The pages' language choice and the codes' public messages in every page language. */

test("pickLocale never throws and always answers en, de or es, whatever the headers hold", () => {
  const tag = fc.oneof(
    fc.constantFrom("de", "DE-ch", "es-419", "en-GB", "fr", "*", "", "x-klingon", "q=1", ";;", "de;q=abc"),
    fc.string({ maxLength: 40 }),
  );
  const header = fc.oneof(
    fc
      .array(
        fc.tuple(
          tag,
          fc.oneof(
            fc.constant(""),
            fc.double().map((q) => `;q=${q}`),
            fc.string(),
          ),
        ),
        {
          maxLength: 50,
        },
      )
      .map((parts) => parts.map(([t, q]) => `${t}${q}`).join(",")),
    fc.string({ maxLength: 5000 }),
  );
  fc.assert(
    fc.property(
      fc.option(header, { nil: undefined }),
      fc.option(header, { nil: undefined }),
      (ui, accept) => {
        const locale = pickLocale(ui, accept);
        assert.ok((locales as readonly string[]).includes(locale), String(locale));
      },
    ),
    { numRuns: 2000 },
  );
});

test("pickLocale: ui_locales first, then Accept-Language by quality, q=0 refused, else English", () => {
  assert.equal(pickLocale("de-CH en", "es"), "de");
  assert.equal(pickLocale("fr", "es;q=0.5, de"), "de");
  assert.equal(pickLocale(undefined, "es;q=0.9, de;q=0"), "es");
  assert.equal(pickLocale("", "fr, ja"), "en");
  assert.equal(pickLocale(undefined, "de;q=0"), "en");
});

test("every API code's public message exists in German and Spanish, never the unknown-code fallback", () => {
  const unknown = { de: publicMessageIn("de", -12345), es: publicMessageIn("es", -12345) };
  assert.equal(publicMessageIn("en", -12345), publicMessage(-12345));
  for (const info of catalogs.api) {
    assert.equal(publicMessageIn("en", info.value), info.publicMessage, info.key);
    for (const locale of ["de", "es"] as const) {
      const text = publicMessageIn(locale, info.value);
      assert.notEqual(text, unknown[locale], `${info.key} in ${locale}`);
      assert.notEqual(text, info.publicMessage, `${info.key} translated to ${locale}`);
    }
  }
  assert.equal(
    publicMessageIn("de", ApiReturnCode.PartnerUserLoginFailedInvalidOTP),
    "Die Anmeldung ist fehlgeschlagen. Prüfen Sie Ihre Angaben und versuchen Sie es erneut.",
  );
  assert.equal(
    publicMessageIn("es", TesseraApiCode.RateLimited),
    "Demasiados intentos. Espere un rato e inténtelo de nuevo.",
  );
});
