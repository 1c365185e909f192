import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

type User = {
  username: string;
  email: string | null;
  disabled: boolean;
  hasPassword: boolean;
  lockedUntil: string | null;
};

for (const backend of backends) {
  suite(`users (${backend})`, () => {
    let s: TestServer;
    let smtp: SmtpSink;
    before(async () => {
      smtp = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(smtp) });
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });

    test("create, read, update and delete a user", async () => {
      const { apiKey } = await s.tenant();
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        scenario: "users: create",
        body: {
          username: "Alice",
          email: "Alice@Example.com",
          mobile: "+14155550100",
          firstName: "Alice",
          password: "correct horse",
        },
      });
      assert.equal(created.status, 201);
      const user = created.body.user as User;
      assert.equal(user.username, "alice");
      assert.equal(user.email, "alice@example.com");
      assert.equal(user.hasPassword, true);
      assert.equal("passwordHash" in user || "password_hash" in user, false);

      const read = await s.api("GET", "/v1/users/ALICE", { apiKey, scenario: "users: read" });
      assert.equal((read.body.user as User).username, "alice");

      const patched = await s.api("PATCH", "/v1/users/alice", {
        apiKey,
        body: { disabled: true, lastName: "Liddell" },
        scenario: "users: update",
      });
      assert.equal((patched.body.user as User).disabled, true);

      const removed = await s.api("DELETE", "/v1/users/alice", { apiKey, scenario: "users: delete" });
      assert.equal(removed.body.errorCode, 0);
      const gone = await s.api("GET", "/v1/users/alice", { apiKey, scenario: "users: read deleted" });
      assert.equal(gone.status, 404);
      assert.equal(gone.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
    });

    test("a taken username is EnrollPartnerUserFailed; a malformed one is InvalidPartnerUserLogin", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", { apiKey, body: { username: "bob" }, scenario: "users: create" });
      const again = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "BOB" },
        scenario: "users: duplicate",
      });
      assert.equal(again.status, 409);
      assert.equal(again.body.errorCode, ApiReturnCode.EnrollPartnerUserFailed);
      assert.equal(again.body.field, "body.username");
      for (const username of ["-bob", "bo b", "bob/../x", "ü"]) {
        const bad = await s.api("POST", "/v1/users", {
          apiKey,
          body: { username },
          scenario: "users: malformed username",
        });
        assert.equal(bad.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin, username);
        const lookup = await s.api("GET", `/v1/users/${encodeURIComponent(username)}`, {
          apiKey,
          scenario: "users: malformed lookup",
        });
        assert.equal(lookup.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin, username);
      }
    });

    test("a tenant with allowed e-mail domains refuses other usernames", async () => {
      const { apiKey } = await s.tenant(undefined, { allowedEmailDomains: ["example.com"] });
      const ok = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "carol@example.com" },
        scenario: "users: allowed domain",
      });
      assert.equal(ok.status, 201);
      for (const username of ["carol@example.org", "carol", "carol@sub.example.com"]) {
        const r = await s.api("POST", "/v1/users", {
          apiKey,
          body: { username },
          scenario: "users: other domain",
        });
        assert.equal(r.status, 403, username);
        assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserLoginFailedInvalidDomain);
      }
    });

    test("find many by username or e-mail with wildcards, page by page with a cursor", async () => {
      const { apiKey } = await s.tenant();
      for (const name of ["ann", "anna", "annabel", "bert", "an_x", "anxx"]) {
        await s.api("POST", "/v1/users", {
          apiKey,
          body: { username: name, email: `${name}@corp.example` },
          scenario: "users: create",
        });
      }
      const list = async (query: string) =>
        (
          (await s.api("GET", `/v1/users?${query}`, { apiKey, scenario: "users: list" })).body.users as User[]
        ).map((u) => u.username);
      assert.deepEqual(await list("query=ann*"), ["ann", "anna", "annabel"]);
      assert.deepEqual(await list("query=an?a"), ["anna"]);
      assert.deepEqual(await list("query=an_x"), ["an_x"], "_ is literal, not a wildcard");
      assert.deepEqual(await list("by=email&query=*bel@corp.*"), ["annabel"]);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await s.api("GET", `/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
          apiKey,
          scenario: "users: page",
        });
        seen.push(...(page.body.users as User[]).map((u) => u.username));
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);
      assert.deepEqual(seen, ["an_x", "ann", "anna", "annabel", "anxx", "bert"]);
      const bad = await s.api("GET", "/v1/users?limit=0", { apiKey, scenario: "users: bad limit" });
      assert.equal(bad.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(bad.body.field, "querystring.limit");
    });

    test("tenants never see each other's users", async () => {
      const a = await s.tenant();
      const b = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey: a.apiKey,
        body: { username: "dora" },
        scenario: "users: create",
      });
      const r = await s.api("GET", "/v1/users/dora", { apiKey: b.apiKey, scenario: "users: other tenant" });
      assert.equal(r.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      const list = await s.api("GET", "/v1/users?query=*", {
        apiKey: b.apiKey,
        scenario: "users: other tenant list",
      });
      assert.deepEqual(list.body.users, []);
      const created = await s.api("POST", "/v1/users", {
        apiKey: b.apiKey,
        body: { username: "dora" },
        scenario: "users: same name other tenant",
      });
      assert.equal(created.status, 201);
    });

    test("enrolment e-mail: sent over SMTP, or the user is not created when it cannot be", async () => {
      const { apiKey } = await s.tenant();
      const ok = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "erin", email: "erin@mail.test", sendEnrolmentEmail: true },
        scenario: "users: enrol with e-mail",
      });
      assert.equal(ok.status, 201);
      assert.equal(smtp.to("erin@mail.test").length, 1);
      assert.match(smtp.to("erin@mail.test")[0]?.raw ?? "", /username erin/);

      const failed = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "fred", email: "fred@refused.test", sendEnrolmentEmail: true },
        scenario: "users: enrolment e-mail refused",
      });
      assert.equal(failed.status, 502);
      assert.equal(failed.body.errorCode, ApiReturnCode.EnrollUserSendNotoficationFailed);
      const absent = await s.api("GET", "/v1/users/fred", { apiKey, scenario: "users: not created" });
      assert.equal(absent.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);

      const noAddress = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "gil", sendEnrolmentEmail: true },
        scenario: "users: enrol without address",
      });
      assert.equal(noAddress.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(noAddress.body.field, "body.email");
    });

    test("bulk import creates the good rows and reports each rejected row with EnrollUserFailed", async () => {
      const { apiKey } = await s.tenant(undefined, { allowedEmailDomains: ["corp.example"] });
      const r = await s.api("POST", "/v1/users/import", {
        apiKey,
        scenario: "users: import",
        body: {
          users: [
            { username: "h1@corp.example" },
            { username: "h1@corp.example" },
            { username: "h2@elsewhere.example" },
            { username: "not valid" },
            { username: "h3@corp.example", email: "h3@corp.example" },
          ],
        },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.created, 2);
      const rejected = r.body.rejected as { row: number; errorCode: number; errorMessage: string }[];
      for (const row of rejected) recordObservedCode("api", row.errorCode, "users: import rejected row");
      assert.deepEqual(
        rejected.map((x) => [x.row, x.errorCode]),
        [
          [2, ApiReturnCode.EnrollUserFailed],
          [3, ApiReturnCode.EnrollUserFailed],
          [4, ApiReturnCode.EnrollUserFailed],
        ],
      );
      assert.match(rejected[1]?.errorMessage ?? "", /PartnerUserLoginFailedInvalidDomain/);
    });
  });
}
