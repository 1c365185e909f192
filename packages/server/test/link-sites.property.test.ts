import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import fc from "fast-check";
import { newSiteSchema, siteChangesSchema } from "../src/link/sites/site-input.ts";
import type { LinkSetup } from "./helpers/link.ts";
import { startLinkServer } from "./helpers/link.ts";
import { bodyFor, type Schema, toJsonText, valueFor } from "./helpers/schema-arbitraries.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Whatever a site body holds, POST and PATCH /v1/link/sites answer below 500: a success, or a 4xx
 * naming the field at fault (only a body past the size limit, 413, names none: it is the whole
 * body). Bodies are a valid site with one field replaced by an extreme value (so the request
 * reaches that field's checks), or anything the schema's arbitraries make.
 */
const valid = {
  name: "Acme Federal Credit Union",
  organisation: "Acme FCU",
  kind: "credit-card",
  url: "https://ofx.acmefcu.example/ofx",
  options: { org: "ACMEFCU", fid: "12345" },
};
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;

function oneFieldOff(schema: Schema, base: Record<string, unknown>) {
  const entries = Object.entries(schema.properties ?? {});
  return fc.oneof(
    ...entries.map(([key, property]) =>
      valueFor(property, key, {}).map((value) => ({ ...base, [key]: value })),
    ),
    bodyFor(schema, {}),
  );
}

for (const backend of backends) {
  suite(`Site bodies never answer 5xx (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      link = await startLinkServer(backend);
      const created = await link.server.api("POST", "/v1/link/sites", {
        apiKey: link.apiKey,
        scenario: "sites: property",
        body: { id: "prop-own", ...valid },
      });
      assert.equal(created.status, 201);
    });
    after(() => link.server.close());

    const check = async (method: string, path: string, body: unknown) => {
      const answer = await link.server.api(method, path, {
        apiKey: link.apiKey,
        scenario: "sites: property",
        rawBody: toJsonText(body),
        headers: { "content-type": "application/json" },
      });
      assert.ok(answer.status < 500, `${method} ${toJsonText(body).slice(0, 300)} → ${answer.status}`);
      if (answer.status >= 400 && answer.status !== 413)
        assert.match(
          String(answer.body.field),
          /^body(\.|$)|^params\.id$/,
          JSON.stringify(answer.body).slice(0, 300),
        );
    };

    test("POST: a valid site with one field extreme, or any body", async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          oneFieldOff(newSiteSchema as unknown as Schema, { id: "prop-x", ...valid }),
          async (body) => {
            n += 1;
            // A fresh id for most runs, so a valid body is created rather than refused as taken.
            const fresh =
              typeof body === "object" &&
              body !== null &&
              !Array.isArray(body) &&
              (body as { id?: unknown }).id === "prop-x";
            await check("POST", "/v1/link/sites", fresh ? { ...body, id: `prop-${n}` } : body);
          },
        ),
        { numRuns: 120, seed },
      );
    });

    test("PATCH: one extreme field, or any body", async () => {
      await fc.assert(
        fc.asyncProperty(oneFieldOff(siteChangesSchema as unknown as Schema, {}), async (body) => {
          await check("PATCH", "/v1/link/sites/prop-own", body);
        }),
        { numRuns: 120, seed },
      );
    });
  });
}
