import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import fc from "fast-check";
import { appChangesSchema, newAppSchema } from "../src/sso/apps/app-input.ts";
import { bodyFor, type Schema, toJsonText, valueFor } from "./helpers/schema-arbitraries.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Whatever an app body holds, POST and PATCH /v1/apps answer below 500: a success, or a 4xx naming
 * the field at fault (only a body past the size limit, 413, names none). And a refused request
 * writes nothing: the tenant's apps read the same before and after. Bodies are a valid app with
 * one field replaced by an extreme value, with redirect URIs from a generator of URI-like junk,
 * or anything the schema's arbitraries make.
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;
const valid = {
  name: "Property app",
  kind: "confidential",
  redirectUris: ["https://app.example/cb"],
  grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
};

const uriLike = fc.oneof(
  fc.webUrl({ withFragments: true, withQueryParameters: true }),
  fc.constantFrom(
    "http://127.0.0.1/cb",
    "http://[::1]:0/cb",
    "http://127.0.0.1:99999/cb",
    "com.example.app:/cb",
    "com.example.app://host/cb",
    "x.y:",
    "data:text/html,<script>",
    "https://*.example/cb",
    "https://example.com/%zz",
    "https://exa mple.com/",
    "https://example.com/\u0000",
    "\ud800",
    `https://example.com/${"a".repeat(5000)}`,
  ),
  fc.string({ maxLength: 40 }),
);
const uriLists = fc.array(uriLike, { maxLength: 12 });

function oneFieldOff(schema: Schema, base: Record<string, unknown>) {
  const entries = Object.entries(schema.properties ?? {});
  return fc.oneof(
    ...entries.map(([key, property]) =>
      valueFor(property, key, {}).map((value) => ({ ...base, [key]: value })),
    ),
    uriLists.map((redirectUris) => ({ ...base, redirectUris })),
    uriLists.map((postLogoutRedirectUris) => ({ ...base, postLogoutRedirectUris })),
    bodyFor(schema, {}),
  );
}

for (const backend of backends) {
  suite(`App bodies never answer 5xx nor write in part (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    let clientId = "";
    const scenario = "apps: property";
    before(async () => {
      s = await startTestServer(backend);
      ({
        apiKey,
        tenant: { id: tenantId },
      } = await s.tenant());
      const created = await s.api("POST", "/v1/apps", { apiKey, scenario, body: valid });
      assert.equal(created.status, 201);
      clientId = (created.body.app as { clientId: string }).clientId;
    });
    after(() => s.close());

    const rows = () =>
      s.server.ctx.database.db
        .selectFrom("sso_apps")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .orderBy("client_id")
        .execute()
        .then((found) => JSON.stringify(found));

    const check = async (method: string, path: string, body: unknown) => {
      const before = await rows();
      const answer = await s.api(method, path, {
        apiKey,
        scenario,
        rawBody: toJsonText(body),
        headers: { "content-type": "application/json" },
      });
      assert.ok(answer.status < 500, `${method} ${toJsonText(body).slice(0, 300)} → ${answer.status}`);
      if (answer.status >= 400) {
        assert.equal(await rows(), before, `a refused ${method} wrote: ${toJsonText(body).slice(0, 300)}`);
        if (answer.status !== 413)
          assert.match(String(answer.body.field), /^body(\.|$)/, JSON.stringify(answer.body).slice(0, 300));
      }
      return answer;
    };

    test("POST: a valid app with one field extreme, or any body", async () => {
      await fc.assert(
        fc.asyncProperty(oneFieldOff(newAppSchema as unknown as Schema, valid), async (body) => {
          const answer = await check("POST", "/v1/apps", body);
          // Keeps the tenant below its cap, so every run reaches the checks.
          if (answer.status === 201) {
            const made = (answer.body.app as { clientId: string }).clientId;
            assert.equal((await s.api("DELETE", `/v1/apps/${made}`, { apiKey, scenario })).status, 200);
          }
        }),
        { numRuns: 150, seed },
      );
    });

    test("PATCH: one extreme field, or any body", async () => {
      await fc.assert(
        fc.asyncProperty(oneFieldOff(appChangesSchema as unknown as Schema, {}), async (body) => {
          await check("PATCH", `/v1/apps/${clientId}`, body);
        }),
        { numRuns: 150, seed },
      );
    });
  });
}
