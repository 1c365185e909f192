import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import fc from "fast-check";
import type { ApiResponse } from "./helpers/api-client.ts";
import { insertTestApp } from "./helpers/pat-test-app.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Personal access tokens through the tenant API, on the user's behalf: created for one app with an
 * expiry, shown once and stored hashed, listed without secrets, revoked; capped per user even
 * under a burst; ids and apps of other tenants and users are NotFound; every extreme input is a
 * 400 naming its field.
 */
const scenario = "sso: personal access tokens API";
const DAY_MS = 24 * 3600 * 1000;
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;

for (const backend of backends) {
  suite(`personal access tokens API (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    /** A tenant with a user `alice` and an app that takes PATs. */
    async function setup(username = "alice") {
      const { tenant, apiKey } = await s.tenant();
      const created = await s.api("POST", "/v1/users", { apiKey, scenario, body: { username } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const path = `/v1/users/${username}/personal-access-tokens`;
      const create = (body: unknown) => s.api("POST", path, { apiKey, scenario, body });
      return { tenant, apiKey, app, path, create };
    }

    const refusedNaming = (r: ApiResponse, field: string, code: number = TesseraApiCode.MalformedRequest) => {
      assert.equal(r.body.errorCode, code, JSON.stringify(r.body));
      assert.ok(r.status >= 400 && r.status < 500, `${r.status}`);
      assert.equal(r.body.field, field, JSON.stringify(r.body));
    };

    test("a token is shown once, stored as its SHA-256 only, and listed without it", async () => {
      const { app, apiKey, path, create } = await setup();
      const created = await create({ clientId: app.clientId, name: "build server", expiresInDays: 30 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const token = created.body.token as string;
      assert.match(token, /^tpat_[A-Za-z0-9_-]{43}$/);
      const pat = created.body.personalAccessToken as Record<string, unknown>;
      assert.equal(pat.clientId, app.clientId);
      assert.equal(pat.state, "live");
      assert.equal(pat.expiresAt, new Date(s.clock.now() + 30 * DAY_MS).toISOString());
      assert.equal(pat.lastUsedAt, null);

      const rows = await s.server.ctx.database.db.selectFrom("personal_access_tokens").selectAll().execute();
      const row = rows.find((r) => r.id === pat.id);
      assert.ok(row !== undefined);
      assert.equal(row.token_hash, createHash("sha256").update(token).digest("hex"));
      assert.ok(!JSON.stringify(rows).includes(token.slice(5)), "no column holds the token");

      const listed = await s.api("GET", path, { apiKey, scenario });
      assert.equal(listed.status, 200);
      assert.deepEqual(
        (listed.body.personalAccessTokens as Record<string, unknown>[]).map((p) => p.id),
        [pat.id],
      );
      assert.ok(!JSON.stringify(listed.body).includes(token.slice(5)), "the list never shows the token");
    });

    test("an Idempotency-Key replays the first answer instead of creating a second token", async () => {
      const { app, apiKey, path } = await setup();
      const body = { clientId: app.clientId, name: "ci", expiresInDays: 3 };
      const headers = { "idempotency-key": "pat-create-1" };
      const first = await s.api("POST", path, { apiKey, scenario, body, headers });
      const again = await s.api("POST", path, { apiKey, scenario, body, headers });
      assert.equal(first.status, 201);
      assert.equal(again.body.token, first.body.token);
      const listed = await s.api("GET", path, { apiKey, scenario });
      assert.equal((listed.body.personalAccessTokens as unknown[]).length, 1);
    });

    test("the list pages newest first with limit and cursor", async () => {
      const { app, apiKey, path, create } = await setup();
      const ids: string[] = [];
      for (const name of ["one", "two", "three"]) {
        const r = await create({ clientId: app.clientId, name, expiresInDays: 10 });
        ids.push((r.body.personalAccessToken as { id: string }).id);
        s.clock.advance(1000);
      }
      const first = await s.api("GET", `${path}?limit=2`, { apiKey, scenario });
      const second = await s.api("GET", `${path}?limit=2&cursor=${first.body.nextCursor}`, {
        apiKey,
        scenario,
      });
      const names = (r: ApiResponse) =>
        (r.body.personalAccessTokens as { name: string }[]).map((p) => p.name);
      assert.deepEqual(names(first), ["three", "two"]);
      assert.deepEqual(names(second), ["one"]);
      assert.equal(second.body.nextCursor, null);
    });

    test("revoking sets revokedAt once; another user's, another tenant's or an unknown id is NotFound", async () => {
      const a = await setup();
      const created = await a.create({ clientId: a.app.clientId, name: "laptop", expiresInDays: 5 });
      const id = (created.body.personalAccessToken as { id: string }).id;
      // Another tenant with a user of the same name, and another user of the same tenant.
      const b = await setup();
      await s.api("POST", "/v1/users", { apiKey: a.apiKey, scenario, body: { username: "bob" } });
      const notFound = [
        await s.api("DELETE", `${b.path}/${id}`, { apiKey: b.apiKey, scenario }),
        await s.api("DELETE", `/v1/users/bob/personal-access-tokens/${id}`, { apiKey: a.apiKey, scenario }),
        await s.api("DELETE", `${a.path}/${"0".repeat(32)}`, { apiKey: a.apiKey, scenario }),
      ];
      for (const r of notFound) refusedNaming(r, "params.id", TesseraApiCode.NotFound);
      const listedByB = await s.api("GET", b.path, { apiKey: b.apiKey, scenario });
      assert.deepEqual(listedByB.body.personalAccessTokens, []);

      const revoked = await s.api("DELETE", `${a.path}/${id}`, { apiKey: a.apiKey, scenario });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      const pat = revoked.body.personalAccessToken as { state: string; revokedAt: string };
      assert.equal(pat.state, "revoked");
      s.clock.advance(5000);
      const again = await s.api("DELETE", `${a.path}/${id}`, { apiKey: a.apiKey, scenario });
      assert.equal((again.body.personalAccessToken as { revokedAt: string }).revokedAt, pat.revokedAt);
    });

    test("an app of another tenant, an unknown app, or one that does not take PATs is refused naming clientId", async () => {
      const a = await setup();
      const b = await setup();
      const noPats = await insertTestApp(s.server.ctx, a.tenant.id, s.clock.now(), {
        grantTypes: ["client_credentials"],
      });
      const body = (clientId: string) => ({ clientId, name: "x", expiresInDays: 1 });
      refusedNaming(await a.create(body(b.app.clientId)), "body.clientId", TesseraApiCode.NotFound);
      refusedNaming(await a.create(body("no-such-app")), "body.clientId", TesseraApiCode.NotFound);
      refusedNaming(await a.create(body(noPats.clientId)), "body.clientId");
    });

    test("a user who cannot sign in gets no token; an unknown user is InvalidPartnerUserLogin", async () => {
      const { app, apiKey, create } = await setup();
      const body = { clientId: app.clientId, name: "x", expiresInDays: 1 };
      const unknown = await s.api("POST", "/v1/users/nobody/personal-access-tokens", {
        apiKey,
        scenario,
        body,
      });
      assert.equal(unknown.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      await s.api("PATCH", "/v1/users/alice", { apiKey, scenario, body: { disabled: true } });
      const disabled = await create(body);
      assert.equal(
        disabled.body.errorCode,
        ApiReturnCode.PartnerUserLoginDisabled,
        JSON.stringify(disabled.body),
      );
    });

    test("extremes of expiresInDays and name are a 400 naming the field, never a 5xx", async () => {
      const { app, create } = await setup();
      for (const days of [2 ** 53, 2 ** 31, -1, 0, 1.5, 366, "10", null, 1e308]) {
        const r = await create({ clientId: app.clientId, name: "x", expiresInDays: days });
        refusedNaming(r, "body.expiresInDays");
      }
      for (const name of ["", "   ", "a".repeat(101), "tab\there", "bell\u0007"]) {
        const r = await create({ clientId: app.clientId, name, expiresInDays: 1 });
        refusedNaming(r, "body.name");
      }
      const huge = await create({ clientId: "c".repeat(100_000), name: "x", expiresInDays: 1 });
      assert.ok(huge.status === 400 || huge.status === 413, `${huge.status}`);
    });

    test("property: any body is 201 or a 4xx naming a body field", async () => {
      const { app, create } = await setup();
      const anyValue = fc.oneof(
        fc.integer(),
        fc.double(),
        fc.string({ maxLength: 120 }),
        fc.constant(null),
        fc.boolean(),
        fc.constant(app.clientId),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record({ clientId: anyValue, name: anyValue, expiresInDays: anyValue }, { requiredKeys: [] }),
          async (body) => {
            const r = await create(body);
            if (r.status === 201) return;
            assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${JSON.stringify(r.body)}`);
            assert.match(String(r.body.field), /^body/, JSON.stringify(r.body));
          },
        ),
        { numRuns: 60, seed },
      );
    });

    test("burst: of 40 concurrent creates, exactly personalAccessTokens.maxPerUser (25) succeed", async () => {
      const { app, apiKey, path, create } = await setup();
      const cap = s.server.ctx.config.personalAccessTokens.maxPerUser;
      assert.equal(cap, 25, "the production default");
      const results = await Promise.all(
        Array.from({ length: 40 }, (_v, i) =>
          create({ clientId: app.clientId, name: `n${i}`, expiresInDays: 1 }),
        ),
      );
      const made = results.filter((r) => r.status === 201);
      assert.equal(made.length, cap);
      for (const r of results.filter((x) => x.status !== 201)) {
        assert.equal(
          r.body.errorCode,
          TesseraApiCode.PersonalAccessTokenLimitReached,
          JSON.stringify(r.body),
        );
        assert.equal(r.status, 409);
      }
      // A revoked or expired token frees its place.
      const first = made[0] as ApiResponse;
      const id = (first.body.personalAccessToken as { id: string }).id;
      await s.api("DELETE", `${path}/${id}`, { apiKey, scenario });
      assert.equal(
        (await create({ clientId: app.clientId, name: "after revoke", expiresInDays: 1 })).status,
        201,
      );
      assert.equal((await create({ clientId: app.clientId, name: "full", expiresInDays: 1 })).status, 409);
      s.clock.advance(DAY_MS);
      assert.equal(
        (await create({ clientId: app.clientId, name: "after expiry", expiresInDays: 1 })).status,
        201,
      );
    });
  });
}
