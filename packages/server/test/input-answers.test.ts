import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { encodeCursor } from "../src/app/paging.ts";
import type { ApiResponse } from "./helpers/api-client.ts";
import { connect, type LinkSetup, startLinkServer } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * How malformed input is answered: every problem of a request at once (the schema's and the shape
 * checks' with their own codes) before any lookup; messages that say what to send; epoch seconds
 * refused instead of read as milliseconds; NUL refused everywhere before it reaches PostgreSQL;
 * echoed field names bounded; Link's `username` filter with `user` as a deprecated alias.
 */
type Problem = { field: string; message: string };
const fieldsOf = (r: ApiResponse) => ((r.body.errors ?? []) as Problem[]).map((p) => p.field);
const messageOf = (r: ApiResponse, field: string) =>
  ((r.body.errors ?? []) as Problem[]).find((p) => p.field === field)?.message ?? "";

for (const backend of backends) {
  suite(`input answers (${backend})`, () => {
    let s: TestServer;
    let apiKey: string;
    before(async () => {
      s = await startTestServer(backend);
      ({ apiKey } = await s.tenant());
      const alice = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice" },
        scenario: "input: setup",
      });
      assert.equal(alice.status, 201);
    });
    after(() => s.close());

    const call = (method: string, path: string, body?: unknown, scenario = "input: malformed") =>
      s.api(method, path, { apiKey, scenario, ...(body === undefined ? {} : { body }) });

    test("a token body's problems are all answered at once, with the first one's code", async () => {
      const r = await call("POST", "/v1/authenticators", {
        type: "totp",
        username: "alice",
        digits: 9,
        algorithm: "MD5",
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.errorCode, ApiReturnCode.InvalidDeviceConfig);
      assert.deepEqual(fieldsOf(r).sort(), ["body.algorithm", "body.digits"]);
      assert.match(messageOf(r, "body.digits"), /must be 6 or 8/);

      // Shape first, lookups after: an unknown user is not reported while the body is malformed...
      const nosuch = await call("POST", "/v1/authenticators", { username: "nosuch", digits: 9 });
      assert.equal(nosuch.status, 400);
      assert.deepEqual(fieldsOf(nosuch).sort(), ["body.digits", "body.type"]);
      assert.doesNotMatch(JSON.stringify(nosuch.body), /no user/);
      // ...and is once it is well formed.
      const missing = await call("POST", "/v1/authenticators", { type: "totp", username: "nosuch" });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.errorMessage, "no user nosuch");

      const many = await call("POST", "/v1/authenticators", {
        type: "fax",
        username: "bad name!",
        serial: "a b",
        secret: "AAAA",
        period: 45,
      });
      assert.deepEqual(fieldsOf(many).sort(), [
        "body.period",
        "body.secret",
        "body.serial",
        "body.type",
        "body.username",
      ]);
      // The first problem gives the answer's code and status.
      assert.equal(many.body.field, "body.type", JSON.stringify(many.body));
      assert.equal(many.body.errorCode, ApiReturnCode.DeviceTypeInvalid);
      assert.equal(many.status, 400);
    });

    test("a user body's problems are all answered at once; the username states its rule", async () => {
      const r = await call("POST", "/v1/users", { username: "bad name!", email: "x@y", password: "short" });
      assert.deepEqual(fieldsOf(r).sort(), ["body.email", "body.password", "body.username"]);
      assert.equal(r.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);

      const alone = await call("POST", "/v1/users", { username: "bad name!" });
      assert.equal(alone.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      assert.equal(alone.body.field, "body.username");
      assert.match(
        String(alone.body.errorMessage),
        /^body\.username must be 1–128 letters, digits and \. _ @ \+ -/,
      );

      const webhook = await call("POST", "/v1/link/webhooks", {
        url: "ftp://example.com/x",
        events: ["nope"],
      });
      assert.equal(webhook.status, 400);
      assert.deepEqual(fieldsOf(webhook).sort(), ["body.events.0", "body.url"]);
      assert.match(messageOf(webhook, "body.url"), /only http and https/);
    });

    test("a malformed username is reported with the other problems on every route that takes one", async () => {
      for (const [path, extra] of [
        ["/v1/auth/otp", { otp: "1".repeat(21) }],
        ["/v1/sessions", { type: "Bad Type", durationMinutes: 5 }],
        ["/v1/authenticators/assign-next", { type: "x".repeat(41) }],
      ] as const) {
        const r = await call("POST", path, { username: "bad name!", ...extra });
        // The first problem (here the username, 404 InvalidPartnerUserLogin) gives code and status.
        assert.equal(r.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin, path);
        assert.equal(r.status, 404, path);
        assert.equal(fieldsOf(r).length, 2, `${path} ${JSON.stringify(r.body)}`);
        assert.ok(fieldsOf(r).includes("body.username"), path);
      }
      const list = await call("GET", "/v1/authenticators?username=bad%20name&limit=0");
      assert.deepEqual(fieldsOf(list).sort(), ["querystring.limit", "querystring.username"]);
    });

    test("messages say what to send: enum values, e-mail, dates, usernames", async () => {
      const by = await call("GET", "/v1/users?by=phone");
      assert.equal(messageOf(by, "querystring.by"), 'querystring.by must be one of "username", "email".');
      const events = await call("POST", "/v1/link/webhooks", {
        url: "https://example.com/x",
        events: ["nope"],
      });
      assert.match(messageOf(events, "body.events.0"), /must be one of "\*", "job\./);
      const scopes = await call("POST", "/v1/api-keys", { name: "k", scopes: ["nope"] });
      assert.match(messageOf(scopes, "body.scopes.0"), /must be one of "admin"|must be one of .*"auth"/);
      const codes = await call("PATCH", "/v1/tenant", { activationCodes: 3 });
      assert.equal(messageOf(codes, "body.activationCodes"), "body.activationCodes must be one of 1, 2.");
      const email = await call("POST", "/v1/users", { username: "eve", email: "not an address" });
      assert.match(messageOf(email, "body.email"), /^body\.email must be an e-mail address/);
      assert.doesNotMatch(JSON.stringify(email.body), /\^\[/);
      const day = await call("GET", "/v1/link/transactions?account=x&from=2026-11-01T00:00:00Z");
      assert.equal(messageOf(day, "querystring.from"), "querystring.from must be a date, YYYY-MM-DD.");
      const lookup = await call("GET", "/v1/users/bad%20name");
      assert.match(String(lookup.body.errorMessage), /params\.username must be 1–128 letters/);
    });

    test("epoch seconds are refused, not read as milliseconds; every number stays bounded", async () => {
      const seconds = await call("POST", "/v1/users", { username: "sec", expiresAt: 1_830_000_000 });
      assert.equal(seconds.status, 400);
      assert.equal(seconds.body.field, "body.expiresAt");
      assert.match(String(seconds.body.errorMessage), /looks like epoch seconds; send an RFC 3339 time/);
      const audit = await call("GET", "/v1/audit?from=1830000000");
      assert.equal(audit.status, 400);
      assert.equal(audit.body.field, "querystring.from");
      for (const extreme of [1, 99_999_999_999, -1, 2 ** 31, 2 ** 53, 1.5, 1e300]) {
        const r = await call("POST", "/v1/users", { username: "ext", expiresAt: extreme });
        assert.equal(r.status, 400, `${extreme}`);
        assert.equal(r.body.field, "body.expiresAt", `${extreme}`);
      }
      const millis = await call(
        "POST",
        "/v1/users",
        { username: "ms", expiresAt: 1_830_000_000_000 },
        "input: epoch ms",
      );
      assert.equal(millis.status, 201);
      assert.equal((millis.body.user as { expiresAt: string }).expiresAt, "2027-12-28T13:20:00.000Z");
      assert.ok(millis.headers.get("deprecation"));
    });

    test("epoch 0 is taken (the same instant in seconds and milliseconds); 1 to 10^11-1 look like seconds", async () => {
      const zero = await call("GET", "/v1/audit?from=0", undefined, "input: epoch zero");
      assert.equal(zero.status, 200);
      const body = await call("POST", "/v1/users", { username: "zero", expiresAt: 0 }, "input: epoch zero");
      assert.equal(body.status, 201);
      assert.equal((body.body.user as { expiresAt: string }).expiresAt, "1970-01-01T00:00:00.000Z");
      for (const seconds of ["1", "99999999999"]) {
        const r = await call("GET", `/v1/audit?from=${seconds}`);
        assert.equal(r.status, 400, seconds);
        assert.match(String(r.body.errorMessage), /looks like epoch seconds/, seconds);
      }
    });

    test("lone surrogates are refused where NUL is, naming the field, never stored as U+FFFD", async () => {
      for (const [body, field] of [
        [{ name: "\ud800" }, "body.name"],
        [{ name: "a\udfffb" }, "body.name"],
      ] as const) {
        const r = await call("POST", "/v1/api-keys", body);
        assert.equal(r.status, 400, field);
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.equal(r.body.field, field);
        assert.match(String(r.body.errorMessage), /lone surrogate/);
      }
      const user = await call("POST", "/v1/users", { username: "sur", lastName: "x\ud83d" });
      assert.equal(user.status, 400);
      assert.equal(user.body.field, "body.lastName");
      const key = await call("POST", "/v1/users", { username: "sur", "k\udc00": 1 });
      assert.equal(key.status, 400);
      assert.equal(key.body.field, "body.k\\udc00");
      // A whole pair is a character like any other.
      const pair = await call(
        "POST",
        "/v1/users",
        { username: "sur", lastName: "x\ud83d\ude00" },
        "input: pair",
      );
      assert.equal(pair.status, 201);
    });

    test("RFC 3339 fractions of any length up to 30 digits, cut to milliseconds", async () => {
      const long = await call(
        "POST",
        "/v1/users",
        {
          username: "frac",
          expiresAt: `2027-06-30T12:00:00.${"9".repeat(30)}+02:00`,
        },
        "input: fraction",
      );
      assert.equal(long.status, 201, JSON.stringify(long.body));
      assert.equal((long.body.user as { expiresAt: string }).expiresAt, "2027-06-30T10:00:00.999Z");
      const tooLong = await call("POST", "/v1/users", {
        username: "frac2",
        expiresAt: `2027-06-30T12:00:00.${"1".repeat(31)}Z`,
      });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.field, "body.expiresAt");
    });

    test("NUL is refused in every query, path and body string, and in forged cursors", async () => {
      const forged: [string, unknown[]][] = [
        ["/v1/users", ["users", "a\u0000b"]],
        ["/v1/link/credentials", ["credentials", 1, "a\u0000b"]],
        ["/v1/link/jobs", ["jobs", 1, "a\u0000b"]],
        ["/v1/link/webhooks", ["webhooks", 1, "a\u0000b"]],
        ["/v1/api-keys", ["api-keys", 1, "a\u0000b"]],
        ["/v1/authenticators", ["a\u0000b"]],
        ["/v1/users", ["users", "\ud800"]],
        ["/v1/users", ["users", "a\u001fb"]],
      ];
      for (const [path, key] of forged) {
        const r = await call("GET", `${path}?cursor=${encodeCursor(key as (string | number)[])}`);
        assert.equal(r.status, 400, `${path} ${JSON.stringify(key)}`);
        assert.equal(r.body.field, "querystring.cursor");
      }
      for (const [path, field] of [
        ["/v1/users?query=a%00", "querystring.query"],
        ["/v1/link/jobs?credential=a%00", "querystring.credential"],
        ["/v1/audit?subject=a%00", "querystring.subject"],
        ["/v1/audit?actor=%00", "querystring.actor"],
        ["/v1/users/al%00ice", "params.username"],
      ] as const) {
        const r = await call("GET", path);
        assert.equal(r.status, 400, path);
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest, path);
        assert.equal(r.body.field, field, path);
      }
      const body = await call("POST", "/v1/users", { username: "nul", firstName: "a\u0000b" });
      assert.equal(body.status, 400);
      assert.equal(body.body.field, "body.firstName");
      const nested = await call("POST", "/v1/users/import", {
        users: [{ username: "ok" }, { username: "x\u0000" }],
      });
      assert.equal(nested.body.field, "body.users.1.username");
      const key = await call("POST", "/v1/users", { username: "nul", "a\u0000": 1 });
      assert.equal(key.status, 400);
      assert.equal(key.body.field, "body.a\\u0000");
    });

    test("an unknown field's name is echoed cut, so the answer stays small", async () => {
      const name = "k".repeat(60_000);
      const r = await call("POST", "/v1/users/import", { users: [{ username: "x", [name]: 1 }] });
      assert.equal(r.status, 400);
      const size = JSON.stringify(r.body).length;
      assert.ok(size < 2_000, `answer of ${size} characters`);
      assert.equal(r.body.field, `body.users.0.${"k".repeat(100)}…`);
    });

    test("an echoed name is cut on a character, never between the halves of an emoji", async () => {
      const name = `${"x".repeat(99)}\u{1F600}tail`;
      const unknown = await call("POST", "/v1/users", { username: "emoji", [name]: 1 });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.field, `body.${"x".repeat(99)}…`);
      const nul = await call("POST", "/v1/users", { username: "emoji", [name]: "a\u0000" });
      assert.equal(nul.status, 400);
      assert.equal(nul.body.field, `body.${"x".repeat(99)}`);
      for (const r of [unknown, nul]) assert.ok(JSON.stringify(r.body).isWellFormed());
    });
  });
}

for (const backend of backends) {
  suite(`Link user filter (${backend})`, () => {
    let setup: LinkSetup;
    before(async () => {
      setup = await startLinkServer(backend);
      await connect(setup, "good", "input: link filter");
      const other = await setup.server.api("POST", "/v1/users", {
        apiKey: setup.apiKey,
        body: { username: "otto" },
        scenario: "input: link filter",
      });
      assert.equal(other.status, 201);
    });
    after(() => setup.server.close());

    test("Link lists filter by username; user is a deprecated alias; both at once is refused", async () => {
      const get = (query: string, scenario = "input: link filter") =>
        setup.server.api("GET", `/v1/link/credentials?${query}`, { apiKey: setup.apiKey, scenario });
      const byUsername = await get(`username=${setup.username.toUpperCase()}`);
      assert.equal(byUsername.status, 200, JSON.stringify(byUsername.body));
      assert.equal((byUsername.body.credentials as unknown[]).length, 1);
      assert.equal(byUsername.headers.get("deprecation"), null);
      assert.equal(((await get("username=otto")).body.credentials as unknown[]).length, 0);
      const byUser = await get(`user=${setup.username}`);
      assert.equal((byUser.body.credentials as unknown[]).length, 1);
      assert.ok(byUser.headers.get("deprecation"));
      for (const list of ["/v1/link/credentials", "/v1/link/accounts"]) {
        const both = await setup.server.api("GET", `${list}?user=otto&username=otto`, {
          apiKey: setup.apiKey,
          scenario: "input: link filter both",
        });
        assert.equal(both.status, 400, list);
        assert.equal(both.body.field, "querystring.user");
        const accounts = await setup.server.api("GET", `${list}?username=otto`, {
          apiKey: setup.apiKey,
          scenario: "input: link filter",
        });
        assert.equal(accounts.status, 200, list);
      }
    });
  });
}
