import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import fc from "fast-check";
import { policyBody } from "../src/policies/policy-schema.ts";
import { policyFixture } from "./helpers/policies.ts";
import { bodyFor, type Schema, toJsonText, valueFor } from "./helpers/schema-arbitraries.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const valid = {
  daysOfWeek: { allowed: ["mon", "tue", "wed", "thu", "fri"], timeZone: "Europe/Berlin", mode: "enforce" },
  timeOfDay: { timeZone: "America/New_York", windows: [{ start: "22:00", end: "06:00" }], mode: "log" },
  clientAddresses: { ranges: ["203.0.113.0/24", "2001:db8::/32"], mode: "ignore" },
  dailyAllowance: { maxSignIns: 20, timeZone: "UTC", mode: "enforce" },
  onError: "ignore",
};
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;

/** `/v1/policies`: the tenant-wide policy and each app's, their validation and their isolation. */
for (const backend of backends) {
  suite(`/v1/policies (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    test("tenant-wide and per app: PUT creates and replaces, GET reads, DELETE deletes, then NotFound", async () => {
      const f = await policyFixture(s);
      for (const path of ["/v1/policies/tenant", `/v1/policies/apps/${f.app}`]) {
        const call = (method: string, body?: unknown) =>
          s.api(method, path, {
            scenario: "policies api: crud",
            apiKey: f.apiKey,
            ...(body === undefined ? {} : { body }),
          });
        const none = await call("GET");
        assert.equal(none.status, 404);
        assert.equal(none.body.errorCode, TesseraApiCode.NotFound);
        const put = await call("PUT", valid);
        assert.equal(put.status, 200, JSON.stringify(put.body));
        const read = await call("GET");
        const { createdAt, updatedAt, scope, clientId, ...rules } = read.body.policy as Record<
          string,
          unknown
        >;
        assert.deepEqual(rules, valid);
        assert.equal(scope, path.endsWith("tenant") ? "tenant" : "app");
        assert.equal(clientId, path.endsWith("tenant") ? null : f.app);
        assert.match(String(createdAt), /^2026-.*Z$/);
        // PUT replaces the whole policy: what is left out is no rule, and onError defaults to deny.
        await call("PUT", { dailyAllowance: valid.dailyAllowance });
        const replaced = (await call("GET")).body.policy as Record<string, unknown>;
        assert.equal(replaced.daysOfWeek, undefined);
        assert.equal(replaced.onError, "deny");
        assert.equal((await call("DELETE")).status, 200);
        assert.equal((await call("GET")).status, 404);
        assert.equal((await call("DELETE")).body.errorCode, TesseraApiCode.NotFound);
      }
    });

    test("a zone is stored under its canonical name; an offset is not a zone", async () => {
      const f = await policyFixture(s);
      const put = await f.put("tenant", { timeOfDay: { ...valid.timeOfDay, timeZone: "europe/berlin" } });
      assert.equal(
        (put.body.policy as { timeOfDay: { timeZone: string } }).timeOfDay.timeZone,
        "Europe/Berlin",
      );
      const offset = await f.put("tenant", { timeOfDay: { ...valid.timeOfDay, timeZone: "+01:00" } });
      assert.equal(offset.status, 400);
      assert.equal(offset.body.field, "body.timeOfDay.timeZone");
    });

    test("another tenant's app, or an unknown one, is NotFound for every method", async () => {
      const f = await policyFixture(s);
      const other = await policyFixture(s);
      await other.put("app", valid);
      for (const app of [other.app, "no-such-app"]) {
        for (const method of ["GET", "PUT", "DELETE"]) {
          const r = await s.api(method, `/v1/policies/apps/${app}`, {
            scenario: "policies api: other tenant",
            apiKey: f.apiKey,
            ...(method === "PUT" ? { body: valid } : {}),
          });
          assert.equal(r.status, 404, `${method} ${app}`);
          assert.equal(r.body.field, "params.clientId");
        }
      }
      // The other tenant's policy is untouched.
      const theirs = await s.api("GET", `/v1/policies/apps/${other.app}`, {
        scenario: "policies api: other tenant",
        apiKey: other.apiKey,
      });
      assert.equal(theirs.status, 200);
    });

    test("deleting an app deletes its policy", async () => {
      const f = await policyFixture(s);
      await f.put("app", valid);
      const { db } = s.server.ctx.database;
      await db.deleteFrom("sso_apps").where("client_id", "=", f.app).execute();
      const left = await db
        .selectFrom("access_policies")
        .select("scope_key")
        .where("tenant_id", "=", f.tenant.id)
        .execute();
      assert.deepEqual(left, []);
    });

    test("a key without the admin scope is refused", async () => {
      const f = await policyFixture(s);
      const key = await s.api("POST", "/v1/api-keys", {
        scenario: "policies api: setup",
        apiKey: f.apiKey,
        body: { name: "login page", scopes: ["auth"] },
      });
      const r = await s.api("GET", "/v1/policies/tenant", {
        scenario: "policies api: scope",
        apiKey: key.body.apiKey as string,
      });
      assert.equal(r.status, 403);
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserLoginFailedNotAdmin);
    });

    test("each malformed input is a 400 naming its field", async () => {
      const f = await policyFixture(s);
      const cases: [unknown, string][] = [
        [{ timeOfDay: { ...valid.timeOfDay, timeZone: "Mars/Olympus_Mons" } }, "body.timeOfDay.timeZone"],
        [{ daysOfWeek: { ...valid.daysOfWeek, timeZone: "Not a zone" } }, "body.daysOfWeek.timeZone"],
        [
          { dailyAllowance: { ...valid.dailyAllowance, timeZone: "Europe/Atlantis" } },
          "body.dailyAllowance.timeZone",
        ],
        [
          { clientAddresses: { ranges: ["10.0.0.0/8", "10.0.0.0/33"], mode: "enforce" } },
          "body.clientAddresses.ranges.1",
        ],
        [{ clientAddresses: { ranges: ["example.com"], mode: "enforce" } }, "body.clientAddresses.ranges.0"],
        [
          { clientAddresses: { ranges: ["2001:db8::/129"], mode: "enforce" } },
          "body.clientAddresses.ranges.0",
        ],
        [{ clientAddresses: { ranges: [], mode: "enforce" } }, "body.clientAddresses.ranges"],
        [
          { timeOfDay: { ...valid.timeOfDay, windows: [{ start: "08:00", end: "24:00" }] } },
          "body.timeOfDay.windows.0.end",
        ],
        [
          { timeOfDay: { ...valid.timeOfDay, windows: [{ start: "8:00", end: "18:00" }] } },
          "body.timeOfDay.windows.0.start",
        ],
        [
          { timeOfDay: { ...valid.timeOfDay, windows: [{ from: "08:00", to: "18:00" }] } },
          "body.timeOfDay.windows.0.from",
        ],
        [
          { timeOfDay: { ...valid.timeOfDay, windows: [{ start: "08:00", end: "08:00" }] } },
          "body.timeOfDay.windows.0",
        ],
        [{ daysOfWeek: { ...valid.daysOfWeek, allowed: ["monday"] } }, "body.daysOfWeek.allowed.0"],
        [{ daysOfWeek: { ...valid.daysOfWeek, mode: "sometimes" } }, "body.daysOfWeek.mode"],
        [{ onError: "shrug" }, "body.onError"],
        [{ weekends: true }, "body.weekends"],
        ...[2 ** 53, 2 ** 31, 1_000_001, 0, -1, 1.5, "5", null].map((maxSignIns): [unknown, string] => [
          { dailyAllowance: { ...valid.dailyAllowance, maxSignIns } },
          "body.dailyAllowance.maxSignIns",
        ]),
      ];
      for (const [body, field] of cases) {
        const r = await s.api("PUT", `/v1/policies/apps/${f.app}`, {
          scenario: "policies api: malformed",
          apiKey: f.apiKey,
          body,
        });
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status}`);
        assert.equal(r.body.field, field, JSON.stringify(r.body));
      }
      const huge = await s.api("PUT", "/v1/policies/tenant", {
        scenario: "policies api: malformed",
        apiKey: f.apiKey,
        rawBody: `{"dailyAllowance":{"maxSignIns":1${"0".repeat(400)},"timeZone":"UTC","mode":"enforce"}}`,
        headers: { "content-type": "application/json" },
      });
      assert.equal(huge.status, 400);
      assert.equal(huge.body.field, "body.dailyAllowance.maxSignIns");
      assert.equal(
        (await s.api("GET", "/v1/policies/tenant", { scenario: "policies api: malformed", apiKey: f.apiKey }))
          .status,
        404,
      );
    });

    test("property: a valid policy with one field extreme, or any body, answers below 500 naming a body field", async () => {
      const f = await policyFixture(s);
      const schema = policyBody as unknown as Schema;
      const entries = Object.entries(schema.properties ?? {});
      const bodies = fc.oneof(
        ...entries.map(([key, property]) =>
          valueFor(property, key, {}).map((value) => ({ ...valid, [key]: value })),
        ),
        bodyFor(schema, {}),
      );
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          const r = await s.api("PUT", `/v1/policies/apps/${f.app}`, {
            scenario: "policies api: property",
            apiKey: f.apiKey,
            rawBody: toJsonText(body),
            headers: { "content-type": "application/json" },
          });
          assert.ok(r.status < 500, `${toJsonText(body).slice(0, 300)} → ${r.status}`);
          if (r.status >= 400 && r.status !== 413)
            assert.match(String(r.body.field), /^body(\.|$)/, JSON.stringify(r.body).slice(0, 300));
          // Whatever was accepted is evaluated without a fault at sign-in.
          if (r.status === 200) {
            const signIn = await f.signIn("policies api: property sign-in");
            assert.ok(signIn.status === 200 || signIn.status === 403, JSON.stringify(signIn.body));
            assert.notEqual(signIn.body.errorCode, ApiReturnCode.SSOPolicyException, JSON.stringify(body));
          }
        }),
        { numRuns: 80, seed },
      );
    });
  });
}
