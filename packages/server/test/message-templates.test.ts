import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { deliveryMethods } from "../src/authenticators/authenticator-type.ts";
import { builtInTemplates, messagePurposes } from "../src/out-of-band/templates/built-in-templates.ts";
import { renderTemplate, smsLength } from "../src/out-of-band/templates/render-template.ts";
import { localeChain } from "../src/out-of-band/templates/template-locale.ts";
import { checkTemplate } from "../src/out-of-band/templates/template-rules.ts";
import { deliverMessage } from "../src/out-of-band/transports/deliver-message.ts";
import { bodyText, mailTo, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** The longest tenant name there can be (tenant names are 1–63 characters). */
const longestTenant = "t".repeat(63);

test("every built-in template renders with all its placeholders filled, and obeys the rules tenants' templates must", () => {
  let rendered = 0;
  for (const [locale, catalog] of Object.entries(builtInTemplates))
    for (const purpose of messagePurposes)
      for (const method of deliveryMethods) {
        const template = catalog[purpose][method];
        const message = renderTemplate(template, { code: "12345678", minutes: "999", tenant: longestTenant });
        const where = `${locale} ${purpose} ${method}`;
        assert.ok(message.text.includes("12345678"), `${where}: the code`);
        assert.ok(message.text.includes("999"), `${where}: the minutes`);
        assert.ok(message.text.includes(longestTenant), `${where}: the tenant`);
        assert.doesNotMatch(
          `${message.subject ?? ""}${message.text}`,
          /\{\{|\}\}/,
          `${where}: no placeholder left`,
        );
        assert.equal(
          message.subject !== undefined,
          method === "email",
          `${where}: a subject for e-mail only`,
        );
        if (method === "sms") {
          const length = smsLength(message.text);
          assert.equal(length.encoding, "gsm7", `${where}: GSM 03.38 only`);
          assert.ok(length.units <= 160, `${where}: one SMS with the longest tenant name (${length.units})`);
        }
        checkTemplate(method, template, longestTenant);
        rendered += 1;
      }
  assert.equal(rendered, 2 * messagePurposes.length * deliveryMethods.length);
});

test("locale fallback: the tag, its language, then en; anything else falls back to en", () => {
  assert.deepEqual(localeChain("de-CH"), ["de-CH", "de", "en"]);
  assert.deepEqual(localeChain("DE-ch"), ["de-CH", "de", "en"]);
  assert.deepEqual(localeChain("zh-Hant-TW"), ["zh-Hant-TW", "zh-Hant", "zh", "en"]);
  assert.deepEqual(localeChain("en-GB"), ["en-GB", "en"]);
  assert.deepEqual(localeChain("not a locale!"), ["en"]);
  assert.deepEqual(localeChain("x".repeat(5000)), ["en"]);
});

for (const backend of backends) {
  suite(`/v1/message-templates (${backend})`, () => {
    let server: TestServer;
    let sink: SmtpSink;
    let apiKey: string;
    let other: string;
    let tenantName: string;
    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer(backend, { flags: smtpFlags(sink) });
      const first = await server.tenant(`templates-${backend}`);
      apiKey = first.apiKey;
      tenantName = first.tenant.name;
      ({ apiKey: other } = await server.tenant());
    });
    after(async () => {
      await server.close();
      await sink.close();
    });
    const call = (method: string, path: string, scenario: string, body?: unknown, key = apiKey) =>
      server.api(method, path, { apiKey: key, scenario, ...(body === undefined ? {} : { body }) });

    test("GET answers the built-in text after locale fallback", async () => {
      const de = await call(
        "GET",
        "/v1/message-templates/sign-in-code/sms/de-CH",
        "templates: read built-in",
      );
      assert.equal(de.status, 200);
      assert.deepEqual(de.body.template, {
        purpose: "sign-in-code",
        method: "sms",
        locale: "de",
        subject: null,
        body: builtInTemplates.de?.["sign-in-code"].sms.body,
        source: "built-in",
      });
      const fr = await call(
        "GET",
        "/v1/message-templates/device-verification/email/fr",
        "templates: read built-in",
      );
      assert.equal((fr.body.template as { locale: string }).locale, "en");
      assert.match(String((fr.body.template as { subject: string }).subject), /Confirm your e-mail/);
    });

    test("a tenant's template is stored, read, used for its locale and the tags below it, and deleted again", async () => {
      const path = "/v1/message-templates/sign-in-code/email/de-ch";
      const put = await call("PUT", path, "templates: store", {
        subject: "Code für {{tenant}}",
        body: "Grüezi! Ihr Code: {{code}} ({{minutes}} Min.)",
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal((put.body.template as { locale: string }).locale, "de-CH");
      const read = await call("GET", "/v1/message-templates/sign-in-code/email/de-CH", "templates: read own");
      assert.equal((read.body.template as { source: string }).source, "tenant");
      // de-AT does not fall back to the Swiss text: it gets the built-in German one.
      const austria = await call(
        "GET",
        "/v1/message-templates/sign-in-code/email/de-AT",
        "templates: read own",
      );
      assert.deepEqual(
        [
          (austria.body.template as { locale: string }).locale,
          (austria.body.template as { source: string }).source,
        ],
        ["de", "built-in"],
      );

      const tenant = await server.server.ctx.database.db
        .selectFrom("tenants")
        .selectAll()
        .where("name", "=", tenantName)
        .executeTakeFirstOrThrow();
      await deliverMessage(server.server.ctx, {
        tenant: { id: tenant.id, name: tenant.name } as never,
        method: "email",
        to: `swiss-${backend}@example.test`,
        purpose: "sign-in-code",
        locale: "de-CH",
        code: "864209",
        expiresInMinutes: 7,
      });
      const [mail] = await mailTo(sink, `swiss-${backend}@example.test`, 1);
      const text = bodyText(mail ?? { to: [], raw: "" });
      assert.match(text, /Ihr Code: 864209 \(7 Min\.\)/);

      const list = await call("GET", "/v1/message-templates", "templates: list");
      assert.deepEqual(
        (list.body.templates as { locale: string }[]).map((t) => t.locale),
        ["de-CH"],
      );
      const gone = await call("DELETE", path, "templates: delete");
      assert.equal(gone.status, 200);
      const again = await call("DELETE", path, "templates: delete missing");
      assert.equal(again.status, 404);
      assert.equal(again.body.errorCode, TesseraApiCode.NotFound);
      const back = await call("GET", path, "templates: read built-in");
      assert.equal((back.body.template as { source: string }).source, "built-in");
    });

    test("another tenant neither sees nor deletes a tenant's template", async () => {
      const path = "/v1/message-templates/device-verification/sms/en";
      await call("PUT", path, "templates: store", { body: "Code {{code}}" });
      const seen = await call("GET", path, "templates: other tenant", undefined, other);
      assert.equal((seen.body.template as { source: string }).source, "built-in");
      const listed = await call("GET", "/v1/message-templates", "templates: other tenant", undefined, other);
      assert.deepEqual(listed.body.templates, []);
      const deleted = await call("DELETE", path, "templates: other tenant", undefined, other);
      assert.equal(deleted.status, 404);
      const mine = await call("GET", path, "templates: read own");
      assert.equal((mine.body.template as { body: string }).body, "Code {{code}}");
    });

    test("the list pages through every template exactly once", async () => {
      const locales = ["fr", "it", "nl", "pl", "sv"];
      for (const locale of locales)
        await call("PUT", `/v1/message-templates/sign-in-code/voice/${locale}`, "templates: store", {
          body: `{{code}} ${locale}`,
        });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? "?limit=2" : `?limit=2&cursor=${cursor}`;
        const page = await call("GET", `/v1/message-templates${query}`, "templates: list");
        assert.equal(page.status, 200);
        for (const t of page.body.templates as { purpose: string; method: string; locale: string }[])
          seen.push(`${t.purpose}/${t.method}/${t.locale}`);
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);
      for (const locale of locales)
        assert.equal(seen.filter((k) => k === `sign-in-code/voice/${locale}`).length, 1);
      assert.equal(new Set(seen).size, seen.length);
      const foreign = await call(
        "GET",
        "/v1/message-templates?cursor=WyJ1c2VycyIsImEiXQ",
        "templates: bad cursor",
      );
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.field, "querystring.cursor");
    });

    test("templates that could not work are refused naming the field", async () => {
      const refusals: [string, unknown, string, RegExp][] = [
        [
          "sign-in-code/sms/en",
          { body: "Code {{code}} {{user}}" },
          "body.body",
          /unknown placeholder \{\{user\}\}/,
        ],
        ["sign-in-code/sms/en", { body: "Your code is coming" }, "body.body", /must contain \{\{code\}\}/],
        [
          "sign-in-code/sms/en",
          { body: `{{code}} ${"x".repeat(155)}` },
          "body.body",
          /more than one SMS \(160\)/,
        ],
        [
          "sign-in-code/sms/en",
          { body: `{{code}} ${"ж".repeat(65)}` },
          "body.body",
          /UCS-2 units, more than one SMS \(70\)/,
        ],
        ["sign-in-code/sms/en", { subject: "Hi", body: "{{code}}" }, "body.subject", /has no subject/],
        ["sign-in-code/email/en", { body: "{{code}}" }, "body.subject", /needs a subject/],
        [
          "sign-in-code/email/en",
          { subject: "{{secret}}", body: "{{code}}" },
          "body.subject",
          /unknown placeholder/,
        ],
        [
          "sign-in-code/email/en",
          { subject: "a\r\nBcc: x@example.test", body: "{{code}}" },
          "body.subject",
          /./,
        ],
        ["sign-in-code/email/not_a_locale", { subject: "s", body: "{{code}}" }, "params.locale", /BCP 47/],
        ["sign-in-code/email/en", { body: "{{code}}", extra: 1 }, "body", /./],
        ["sign-in-code/fax/en", { body: "{{code}}" }, "params.method", /./],
        ["welcome/sms/en", { body: "{{code}}" }, "params.purpose", /./],
        ["sign-in-code/voice/en", { body: "x".repeat(4001) }, "body.body", /./],
        ["sign-in-code/voice/en", { body: 12345 }, "body.body", /./],
        [`sign-in-code/voice/${"a".repeat(36)}`, { body: "{{code}}" }, "params.locale", /./],
      ];
      for (const [key, body, field, message] of refusals) {
        const answer = await call("PUT", `/v1/message-templates/${key}`, "templates: refused", body);
        assert.equal(
          answer.status,
          400,
          `${key} ${JSON.stringify(body).slice(0, 60)}: ${JSON.stringify(answer.body)}`,
        );
        assert.equal(answer.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.ok(String(answer.body.field).startsWith(field), `${field} ≠ ${answer.body.field}`);
        assert.match(answer.body.errorMessage, message);
      }
    });

    test("a key without the admin scope cannot change templates", async () => {
      const { createApiKey } = await import("../src/tenants/api-keys.ts");
      const tenant = await server.server.ctx.database.db
        .selectFrom("tenants")
        .select("id")
        .where("name", "=", tenantName)
        .executeTakeFirstOrThrow();
      const { apiKey: authKey } = await createApiKey(
        server.server.ctx.database.db,
        tenant.id,
        "auth",
        ["auth"],
        0,
      );
      const answer = await call(
        "PUT",
        "/v1/message-templates/sign-in-code/sms/en",
        "templates: scope",
        { body: "{{code}}" },
        authKey,
      );
      assert.equal(answer.status, 403);
    });
  });
}
