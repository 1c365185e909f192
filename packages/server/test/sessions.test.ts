import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

for (const backend of backends) {
  suite(`session tokens (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    before(async () => {
      s = await startTestServer(backend);
      ({ apiKey } = await s.tenant());
      for (const username of ["tom", "uma"]) {
        await s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "sessions: setup" });
      }
    });
    after(() => s.close());

    const create = (body: unknown, scenario = "sessions: create") =>
      s.api("POST", "/v1/sessions", { apiKey, body, scenario });

    test("create, check, expire: a 256-bit token that works until its duration ends", async () => {
      const created = await create({ username: "tom", durationMinutes: 30, type: "web" });
      assert.equal(created.status, 201);
      const token = created.body.sessionToken as string;
      assert.match(token, /^tss_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.body.expiresAt, new Date(s.clock.now() + 30 * 60_000).toISOString());
      const check = await s.api("GET", `/v1/sessions/${token}`, { apiKey, scenario: "sessions: check" });
      assert.deepEqual(check.body.session, {
        username: "tom",
        type: "web",
        createdAt: new Date(s.clock.now()).toISOString(),
        expiresAt: new Date(s.clock.now() + 30 * 60_000).toISOString(),
      });
      s.clock.advance(30 * 60_000);
      const late = await s.api("GET", `/v1/sessions/${token}`, { apiKey, scenario: "sessions: expired" });
      assert.equal(late.status, 401);
      assert.equal(late.body.errorCode, ApiReturnCode.SessionTokenInvalid);
    });

    test("expiring a session ends it; expiring it again or an unknown one is SessionTokenDeleteFailed", async () => {
      const token = (await create({ username: "tom", durationMinutes: 5, type: "api" })).body
        .sessionToken as string;
      assert.equal(
        (await s.api("DELETE", `/v1/sessions/${token}`, { apiKey, scenario: "sessions: expire" })).body
          .errorCode,
        0,
      );
      assert.equal(
        (await s.api("GET", `/v1/sessions/${token}`, { apiKey, scenario: "sessions: after expire" })).body
          .errorCode,
        ApiReturnCode.SessionTokenInvalid,
      );
      const again = await s.api("DELETE", `/v1/sessions/${token}`, {
        apiKey,
        scenario: "sessions: expire twice",
      });
      assert.equal(again.status, 404);
      assert.equal(again.body.errorCode, ApiReturnCode.SessionTokenDeleteFailed);
      assert.equal(
        (await s.api("DELETE", "/v1/sessions/garbage", { apiKey, scenario: "sessions: expire garbage" })).body
          .errorCode,
        ApiReturnCode.SessionTokenDeleteFailed,
      );
    });

    test("a disabled user cannot get a session, and loses the ones it had", async () => {
      const token = (await create({ username: "uma", durationMinutes: 60, type: "web" })).body
        .sessionToken as string;
      await s.api("PATCH", "/v1/users/uma", {
        apiKey,
        body: { disabled: true },
        scenario: "sessions: disable user",
      });
      assert.equal(
        (await s.api("GET", `/v1/sessions/${token}`, { apiKey, scenario: "sessions: user disabled" })).body
          .errorCode,
        ApiReturnCode.SessionTokenInvalid,
      );
      const refused = await create(
        { username: "uma", durationMinutes: 60, type: "web" },
        "sessions: create for disabled user",
      );
      assert.equal(refused.status, 409);
      assert.equal(refused.body.errorCode, ApiReturnCode.SessionTokenCreationFailed);
    });

    test("another tenant's token is invalid here; bad durations and types are malformed", async () => {
      const token = (await create({ username: "tom", durationMinutes: 60, type: "web" })).body
        .sessionToken as string;
      const other = await s.tenant();
      assert.equal(
        (
          await s.api("GET", `/v1/sessions/${token}`, {
            apiKey: other.apiKey,
            scenario: "sessions: other tenant",
          })
        ).body.errorCode,
        ApiReturnCode.SessionTokenInvalid,
      );
      for (const [body, field] of [
        [{ username: "tom", durationMinutes: 0, type: "web" }, "body.durationMinutes"],
        [{ username: "tom", durationMinutes: "10", type: "web" }, "body.durationMinutes"],
        [{ username: "tom", durationMinutes: 10, type: "Web Session" }, "body.type"],
        [{ username: "tom", type: "web" }, "body.durationMinutes"],
      ] as const) {
        const r = await create(body, "sessions: malformed");
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest, JSON.stringify(body));
        assert.equal(r.body.field, field);
      }
      assert.equal(
        (await create({ username: "ghost", durationMinutes: 5, type: "web" }, "sessions: unknown user")).body
          .errorCode,
        ApiReturnCode.InvalidPartnerUserLogin,
      );
    });
  });
}
