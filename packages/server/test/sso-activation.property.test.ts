import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import fc from "fast-check";
import { postForm } from "./helpers/activation.ts";
import { bodyText, mailTo, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Whatever the activation page receives as its id and form fields (random strings, huge ones,
 * near-misses of a real id, NUL and markup), the answer is below 500, carries no stack trace and
 * never echoes markup it did not write. Fixed seed: the same inputs on every run.
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;
const linkPattern = /\/oidc\/\S+\/activate\?id=([A-Za-z0-9_-]+)/;

for (const backend of backends) {
  suite(`activation page inputs (${backend})`, () => {
    let s: TestServer;
    let sink: SmtpSink;
    let tenantId = "";
    let realId = "";
    before(async () => {
      sink = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(sink) });
      const { tenant, apiKey } = await s.tenant();
      tenantId = tenant.id;
      const email = `fuzz-${backend}@mail.test`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "fuzz", email },
        scenario: "activation fuzz",
      });
      await s.api("POST", "/v1/users/fuzz/invitation", { apiKey, scenario: "activation fuzz" });
      const [mail] = await mailTo(sink, email, 1);
      realId = linkPattern.exec(mail === undefined ? "" : bodyText(mail))?.[1] ?? "";
      assert.equal(realId.length, 43);
    });
    after(async () => {
      await s.close();
      await sink.close();
    });

    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: "binary", maxLength: 60 }),
      fc.constantFrom("", "<script>x</script>", "\u0000", "%00", "A".repeat(43), "9".repeat(400)),
      fc.integer({ min: 0, max: 42 }).map((n) => realId.slice(0, n)),
      fc.string({ maxLength: 3 }).map((tail) => `${realId}${tail}`),
    );
    const check = (label: string, status: number, body: string) => {
      assert.ok(status < 500, `${label} → ${status}: ${body.slice(0, 300)}`);
      assert.doesNotMatch(body, /at [\w.]+ \(|node:internal|\.ts:\d+/, "no stack trace");
      assert.doesNotMatch(body, /<script>/, "no markup echoed");
    };

    test("GET ?id=… and POST forms with random fields never answer 5xx", async () => {
      const url = `${s.url}/oidc/${tenantId}/activate`;
      await fc.assert(
        fc.asyncProperty(text, fc.boolean(), async (id, json) => {
          const r = await fetch(`${url}?id=${encodeURIComponent(id)}`, {
            headers: json ? { accept: "application/json" } : {},
          });
          check(`GET ${JSON.stringify(id)}`, r.status, await r.text());
        }),
        { seed, numRuns: 60 },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record(
            {
              id: fc.oneof(text, fc.constant(realId)),
              step: fc.oneof(text, fc.constantFrom("password", "totp", "done", "replaced")),
              password: text,
              confirm: text,
              otp: text,
              ui_locales: text,
              extra: text,
            },
            { requiredKeys: [] },
          ),
          async (fields) => {
            const r = await postForm(url, fields as Record<string, string>);
            check(`POST ${JSON.stringify(fields)}`, r.status, r.text);
          },
        ),
        { seed, numRuns: 80 },
      );
      // Fields no form sends never reach a step: the real activation is still at its first step.
      const state = await s.server.ctx.database.db
        .selectFrom("sso_activations")
        .select("state")
        .where("tenant_id", "=", tenantId)
        .executeTakeFirstOrThrow();
      assert.ok(state.state === "password" || state.state === "totp", state.state);
    });
  });
}
