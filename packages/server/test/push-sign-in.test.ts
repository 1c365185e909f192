import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { approvalPayload, type Decision } from "../src/approvals/approval-payload.ts";
import { finishApprovalRequest } from "../src/approvals/approval-store.ts";
import { signInPushState } from "../src/push/sign-in-push.ts";
import { findUser } from "../src/users/user-store.ts";
import type { ApiResponse } from "./helpers/api-client.ts";
import { TestPushApp } from "./helpers/push-app.ts";
import { insertAppRow } from "./helpers/sso-app-row.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const TTL_MS = 120_000;

for (const backend of backends) {
  suite(`push sign-in (${backend})`, () => {
    let s: TestServer;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    /** A tenant (production defaults) with a user whose phone app is enrolled through the app protocol. */
    const setup = async () => {
      const { apiKey, tenant } = await s.tenant();
      n += 1;
      const username = `pusher${n}`;
      await s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "push sign-in: setup" });
      const phone = await enrolPhone(apiKey, username);
      return { apiKey, tenant, username, phone };
    };
    const enrolPhone = async (apiKey: string, username: string) => {
      const link = await s.api("POST", `/v1/users/${username}/push-enrolments`, {
        apiKey,
        scenario: "push sign-in: setup",
      });
      const phone = new TestPushApp(s.url, () => s.clock.now());
      const enrolled = await phone.enrol(String(link.body.enrolmentUrl), "push sign-in: setup");
      assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
      return phone;
    };
    const push = (apiKey: string, body: unknown, scenario: string) =>
      s.api("POST", "/v1/auth/push", { apiKey, body, scenario });
    const state = (apiKey: string, id: string, scenario: string) =>
      s.api("GET", `/v1/auth/push/${id}`, { apiKey, scenario });
    /** The app's answer, recorded as F's answerApprovalRequest records it (the compare-and-set). */
    const finish = async (id: string, status: "approved" | "rejected", fraud = false) =>
      assert.ok(
        await finishApprovalRequest(
          s.server.ctx.database.db,
          id,
          { status, approvalCode: "test", fraud },
          s.clock.now(),
        ),
      );
    /** The phone's answer through the app protocol: the person typed `number`; the answer is signed. */
    const answer = (
      phone: TestPushApp,
      reference: string,
      decision: Decision,
      number: number | null,
      fraud = false,
    ) =>
      phone.call("POST", `/app/v1/requests/${reference}/answer`, "push sign-in: app answers", {
        body: {
          decision,
          ...(number === null ? {} : { number }),
          approvalCode: phone.sign(
            approvalPayload({ reference, kind: "sign-in", decision, number, details: null }),
          ),
          ...(fraud ? { fraud } : {}),
        },
      });
    const assertRefused = (r: ApiResponse, retryAfterSeconds?: number) => {
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.CreateTransactionFailed);
      if (retryAfterSeconds === undefined) assert.equal(r.headers.get("retry-after"), null);
      else assert.equal(r.headers.get("retry-after"), String(retryAfterSeconds));
    };

    test("a push reaches the phone with its context but not the number; the screen's state follows the answer", async () => {
      const { apiKey, tenant, username, phone } = await setup();
      await insertAppRow(s.server.ctx, tenant.id, "payroll");
      const created = await push(
        apiKey,
        { username, context: { app: "payroll", location: "Lisbon, PT", reason: "Sign in to payroll" } },
        "push sign-in: create",
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const number = created.body.numberToMatch as number;
      assert.ok(Number.isInteger(number) && number >= 10 && number <= 99, String(number));
      assert.equal(Date.parse(String(created.body.expiresAt)), s.clock.now() + TTL_MS);
      assert.equal(created.body.serial, phone.serial);
      const polled = await phone.call("GET", "/app/v1/requests", "push sign-in: app polls");
      const items = polled.body.requests as { reference: string; kind: string; context: unknown }[];
      assert.equal(items.length, 1);
      assert.equal(items[0]?.reference, created.body.reference);
      assert.equal(items[0]?.kind, "sign-in");
      assert.deepEqual(items[0]?.context, {
        app: "Back office",
        account: username,
        sourceIp: "127.0.0.1",
        location: "Lisbon, PT",
        reason: "Sign in to payroll",
      });
      assert.ok(!JSON.stringify(polled.body).includes(`"numberToMatch"`));
      const id = String(created.body.id);
      const pending = await state(apiKey, id, "push sign-in: state");
      assert.equal(pending.status, 200);
      assert.deepEqual(
        { status: pending.body.status, serial: pending.body.serial, username: pending.body.username },
        { status: "pending", serial: phone.serial, username },
      );
      await finish(id, "approved");
      assert.equal((await state(apiKey, id, "push sign-in: state")).body.status, "approved");
      // Final: even past its expiry, an approved request stays approved.
      s.clock.advance(TTL_MS * 2);
      assert.equal((await state(apiKey, id, "push sign-in: state")).body.status, "approved");
    });

    test("numbers to match are spread over 10..99", async () => {
      const { apiKey, username } = await setup();
      const seen = new Set<number>();
      for (let i = 0; i < 40; i += 1) {
        const r = await push(apiKey, { username }, "push sign-in: create");
        assert.equal(r.status, 201, JSON.stringify(r.body));
        seen.add(r.body.numberToMatch as number);
        await finish(String(r.body.id), "approved");
        // Stay under the hourly cap (10 by default) without loosening it.
        if (i % 9 === 8) s.clock.advance(3_600_000);
      }
      assert.ok([...seen].every((x) => x >= 10 && x <= 99));
      // 40 draws from 90 values: fewer than 15 distinct ones has probability far below 1e-9.
      assert.ok(seen.size >= 15, `only ${seen.size} distinct numbers`);
    });

    test("a request expires after pushRequestTtlSeconds (ManualClock) and frees the pending place", async () => {
      const { apiKey, username } = await setup();
      const first = await push(apiKey, { username }, "push sign-in: create");
      const id = String(first.body.id);
      s.clock.advance(TTL_MS - 1);
      assert.equal((await state(apiKey, id, "push sign-in: state")).body.status, "pending");
      assertRefused(await push(apiKey, { username }, "push sign-in: pending cap"), 1);
      s.clock.advance(1);
      assert.equal((await state(apiKey, id, "push sign-in: state")).body.status, "expired");
      assert.equal(
        await finishApprovalRequest(
          s.server.ctx.database.db,
          id,
          { status: "approved", approvalCode: "x", fraud: false },
          s.clock.now(),
        ),
        false,
      );
      assert.equal((await push(apiKey, { username }, "push sign-in: create")).status, 201);
    });

    test("the tenant's lifetime setting applies", async () => {
      const { apiKey, username } = await setup();
      const changed = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { pushRequestTtlSeconds: 30 },
        scenario: "push sign-in: settings",
      });
      assert.equal((changed.body.tenant as { pushRequestTtlSeconds: number }).pushRequestTtlSeconds, 30);
      const r = await push(apiKey, { username }, "push sign-in: create");
      assert.equal(Date.parse(String(r.body.expiresAt)), s.clock.now() + 30_000);
    });

    test("push settings refuse extremes, naming the field, and keep their value", async () => {
      const { apiKey } = await s.tenant();
      const fields = ["pushRequestTtlSeconds", "pushMaxPending", "pushMaxPerHour", "pushCooldownSeconds"];
      for (const field of fields)
        for (const value of [-1, 0.5, 2 ** 31, 2 ** 53, 1e308, "10", null]) {
          const r = await s.api("PATCH", "/v1/tenant", {
            apiKey,
            body: { [field]: value },
            scenario: "push sign-in: settings extremes",
          });
          assert.equal(r.status, 400, `${field}=${value}: ${JSON.stringify(r.body)}`);
          assert.match(JSON.stringify(r.body), new RegExp(`body\\.${field}`));
        }
      const tenant = (await s.api("GET", "/v1/tenant", { apiKey, scenario: "push sign-in: settings" })).body
        .tenant as Record<string, number>;
      assert.deepEqual(
        fields.map((f) => tenant[f]),
        [120, 1, 10, 60],
      );
    });

    test("no push device, another user's or an OATH serial, a disabled device: CreateTransactionFailed", async () => {
      const { apiKey, username, phone } = await setup();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "nophone" },
        scenario: "push sign-in: setup",
      });
      const none = await push(apiKey, { username: "nophone" }, "push sign-in: no device");
      assertRefused(none);
      // The refusal says what to do next, and names the field like POST /v1/approvals does.
      assert.match(none.body.errorMessage, /POST \/v1\/users\/nophone\/push-enrolments/);
      assert.equal(none.body.field, "body.username");
      const oath = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", username: "nophone" },
        scenario: "push sign-in: setup",
      });
      assertRefused(await push(apiKey, { username: "nophone" }, "push sign-in: no device"));
      const serial = (oath.body.authenticator as { serial: string }).serial;
      const named = await push(apiKey, { username, serial }, "push sign-in: not a push device");
      assertRefused(named);
      assert.match(named.body.errorMessage, new RegExp(serial));
      assertRefused(
        await push(
          apiKey,
          { username: "nophone", serial: phone.serial },
          "push sign-in: another user's device",
        ),
      );
      const other = await setup();
      assertRefused(
        await push(apiKey, { username, serial: other.phone.serial }, "push sign-in: another tenant's device"),
      );
      await s.api("POST", `/v1/authenticators/${phone.serial}/disable`, {
        apiKey,
        scenario: "push sign-in: setup",
      });
      assertRefused(await push(apiKey, { username }, "push sign-in: disabled device"));
    });

    test("an unknown user, a disabled user and another tenant's app are refused", async () => {
      const { apiKey, username } = await setup();
      const unknown = await push(apiKey, { username: "nobody" }, "push sign-in: unknown user");
      assert.equal(unknown.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      const other = await s.tenant();
      await insertAppRow(s.server.ctx, other.tenant.id, "theirs");
      const app = await push(
        apiKey,
        { username, context: { app: "theirs" } },
        "push sign-in: another tenant's app",
      );
      assert.equal(app.status, 404);
      assert.equal(app.body.errorCode, TesseraApiCode.NotFound);
      assert.match(app.body.errorMessage, /theirs/);
      await s.api("PATCH", `/v1/users/${username}`, {
        apiKey,
        body: { disabled: true },
        scenario: "push sign-in: setup",
      });
      const disabled = await push(apiKey, { username }, "push sign-in: disabled user");
      assert.equal(disabled.body.errorCode, ApiReturnCode.PartnerUserLoginDisabled);
    });

    test("one pending push per user by default: the next is refused until the first is answered", async () => {
      const { apiKey, username } = await setup();
      const first = await push(apiKey, { username }, "push sign-in: create");
      s.clock.advance(20_000);
      assertRefused(await push(apiKey, { username }, "push sign-in: pending cap"), 100);
      await finish(String(first.body.id), "approved");
      assert.equal((await push(apiKey, { username }, "push sign-in: create")).status, 201);
    });

    test("a burst of 20 concurrent pushes creates at most pushMaxPending (1, then 3)", async () => {
      for (const max of [1, 3]) {
        const { apiKey, username, tenant } = await setup();
        if (max !== 1)
          await s.api("PATCH", "/v1/tenant", {
            apiKey,
            body: { pushMaxPending: max },
            scenario: "push sign-in: settings",
          });
        const results = await Promise.all(
          Array.from({ length: 20 }, () => push(apiKey, { username }, "push sign-in: burst")),
        );
        const created = results.filter((r) => r.status === 201);
        assert.equal(created.length, max, results.map((r) => r.body.errorName).join(", "));
        for (const r of results.filter((r) => r.status !== 201)) assertRefused(r, TTL_MS / 1000);
        const rows = await s.server.ctx.database.db
          .selectFrom("approval_requests")
          .select("id")
          .where("tenant_id", "=", tenant.id)
          .execute();
        assert.equal(rows.length, max);
      }
    });

    test("a rejection starts the cool-down (60 s by default) with Retry-After", async () => {
      const { apiKey, username } = await setup();
      const first = await push(apiKey, { username }, "push sign-in: create");
      s.clock.advance(5_000);
      await finish(String(first.body.id), "rejected");
      assert.equal(
        (await state(apiKey, String(first.body.id), "push sign-in: state")).body.status,
        "rejected",
      );
      s.clock.advance(10_000);
      assertRefused(await push(apiKey, { username }, "push sign-in: cool-down"), 50);
      s.clock.advance(50_000 - 1);
      assertRefused(await push(apiKey, { username }, "push sign-in: cool-down"), 1);
      s.clock.advance(1);
      assert.equal((await push(apiKey, { username }, "push sign-in: create")).status, 201);
    });

    test("at most pushMaxPerHour (10) per user per hour, with Retry-After until the oldest leaves the hour", async () => {
      const { apiKey, username } = await setup();
      const start = s.clock.now();
      for (let i = 0; i < 10; i += 1) {
        const r = await push(apiKey, { username }, "push sign-in: create");
        assert.equal(r.status, 201, `push ${i}: ${JSON.stringify(r.body)}`);
        await finish(String(r.body.id), "approved");
        s.clock.advance(60_000);
      }
      assertRefused(
        await push(apiKey, { username }, "push sign-in: hourly cap"),
        (start + 3_600_000 - s.clock.now()) / 1000,
      );
      s.clock.set(start + 3_600_000);
      assert.equal((await push(apiKey, { username }, "push sign-in: create")).status, 201);
    });

    test("a push rejected as fraud locks further pushes until an administrator clears the lock", async () => {
      const { apiKey, username } = await setup();
      const first = await push(apiKey, { username }, "push sign-in: create");
      await finish(String(first.body.id), "rejected", true);
      // Long after the cool-down and the hour, still locked: only an administrator ends it.
      s.clock.advance(86_400_000);
      const locked = await push(apiKey, { username }, "push sign-in: fraud lock");
      assertRefused(locked);
      assert.match(locked.body.errorMessage, /fraud/);
      // The message names the call that clears this user's lock, ready to use.
      assert.ok(
        locked.body.errorMessage.includes(`DELETE /v1/users/${username}/push-lock`),
        locked.body.errorMessage,
      );
      const lock = await s.api("GET", `/v1/users/${username}/push-lock`, {
        apiKey,
        scenario: "push sign-in: lock",
      });
      assert.deepEqual(
        { locked: lock.body.locked, reference: lock.body.reference },
        { locked: true, reference: first.body.reference },
      );
      // An `auth` key (the sign-in screen's) cannot clear it.
      const authKey = await s.api("POST", "/v1/api-keys", {
        apiKey,
        body: { name: "screen", scopes: ["auth"] },
        scenario: "push sign-in: setup",
      });
      const refused = await s.api("DELETE", `/v1/users/${username}/push-lock`, {
        apiKey: String(authKey.body.apiKey),
        scenario: "push sign-in: lock scope",
      });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assertRefused(await push(apiKey, { username }, "push sign-in: fraud lock"));
      const cleared = await s.api("DELETE", `/v1/users/${username}/push-lock`, {
        apiKey,
        scenario: "push sign-in: lock",
      });
      assert.equal(cleared.body.cleared, true);
      const again = await s.api("DELETE", `/v1/users/${username}/push-lock`, {
        apiKey,
        scenario: "push sign-in: lock",
      });
      assert.equal(again.body.cleared, false);
      s.clock.advance(1);
      const next = await push(apiKey, { username }, "push sign-in: create");
      assert.equal(next.status, 201, JSON.stringify(next.body));
      // A new report locks again.
      await finish(String(next.body.id), "rejected", true);
      s.clock.advance(86_400_000);
      assertRefused(await push(apiKey, { username }, "push sign-in: fraud lock"));
    });

    test("a push id is tenant-scoped: another tenant gets NotFound, another key of the tenant the state", async () => {
      const { apiKey, username } = await setup();
      const created = await push(apiKey, { username }, "push sign-in: create");
      const id = String(created.body.id);
      await finish(id, "approved");
      const other = await s.tenant();
      const foreign = await state(other.apiKey, id, "push sign-in: another tenant's id");
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.errorCode, TesseraApiCode.NotFound);
      assert.ok(!JSON.stringify(foreign.body).includes("approved"));
      const unknown = await state(apiKey, "0f5b7c7e-2d44-4f57-9b0e-3f8a1c2d4e6f", "push sign-in: unknown id");
      assert.equal(unknown.body.errorCode, TesseraApiCode.NotFound);
      const authKey = await s.api("POST", "/v1/api-keys", {
        apiKey,
        body: { name: "screen", scopes: ["auth"] },
        scenario: "push sign-in: setup",
      });
      const own = await state(String(authKey.body.apiKey), id, "push sign-in: state");
      assert.equal(own.body.status, "approved");
      const lock = await s.api("GET", `/v1/users/${username}/push-lock`, {
        apiKey: other.apiKey,
        scenario: "push sign-in: another tenant's user",
      });
      assert.equal(lock.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
    });

    test("end to end through the app: the typed number approves, a wrong one rejects and starts the cool-down", async () => {
      const { apiKey, username, phone } = await setup();
      const first = await push(apiKey, { username }, "push sign-in: create");
      const number = first.body.numberToMatch as number;
      const approved = await answer(phone, String(first.body.reference), "approved", number);
      assert.equal(approved.body.status, "approved", JSON.stringify(approved.body));
      assert.equal(
        (await state(apiKey, String(first.body.id), "push sign-in: state")).body.status,
        "approved",
      );
      const second = await push(apiKey, { username }, "push sign-in: create");
      const wrong = 10 + (((second.body.numberToMatch as number) - 10 + 1) % 90);
      const guessed = await answer(phone, String(second.body.reference), "approved", wrong);
      assert.equal(guessed.body.status, "rejected", JSON.stringify(guessed.body));
      assert.equal(
        (await state(apiKey, String(second.body.id), "push sign-in: state")).body.status,
        "rejected",
      );
      assertRefused(await push(apiKey, { username }, "push sign-in: cool-down"), 60);
    });

    test("the app's fraud report locks pushes for the user, across devices, until cleared", async () => {
      const { apiKey, username, phone } = await setup();
      const second = await enrolPhone(apiKey, username);
      const first = await push(apiKey, { username, serial: phone.serial }, "push sign-in: create");
      const reported = await answer(phone, String(first.body.reference), "rejected", null, true);
      assert.equal(reported.body.status, "rejected", JSON.stringify(reported.body));
      s.clock.advance(3_600_000);
      assertRefused(await push(apiKey, { username, serial: second.serial }, "push sign-in: fraud lock"));
      await s.api("DELETE", `/v1/users/${username}/push-lock`, { apiKey, scenario: "push sign-in: lock" });
      assert.equal(
        (await push(apiKey, { username, serial: second.serial }, "push sign-in: create")).status,
        201,
      );
    });

    test("signInPushState (the SSO pages) also binds the id to its user: another user's push is NotFound", async () => {
      const { apiKey, tenant, username } = await setup();
      const created = await push(apiKey, { username }, "push sign-in: create");
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "bystander" },
        scenario: "push sign-in: setup",
      });
      const { db } = s.server.ctx.database;
      const owner = await findUser(db, tenant.id, username);
      const bystander = await findUser(db, tenant.id, "bystander");
      assert.ok(owner !== undefined && bystander !== undefined);
      const id = String(created.body.id);
      assert.equal(await signInPushState(s.server.ctx, { tenant, user: owner, id }), "pending");
      await assert.rejects(
        signInPushState(s.server.ctx, { tenant, user: bystander, id }),
        (error: unknown) => {
          assert.ok(TesseraError.is(error) && error.code === TesseraApiCode.NotFound);
          return true;
        },
      );
      const other = await s.tenant();
      await assert.rejects(signInPushState(s.server.ctx, { tenant: other.tenant, user: owner, id }));
    });

    test("created and refused pushes are in the audit trail, never with the number", async () => {
      const { apiKey, username, tenant } = await setup();
      const created = await push(apiKey, { username }, "push sign-in: create");
      await push(apiKey, { username }, "push sign-in: pending cap");
      const events = await s.server.ctx.database.db
        .selectFrom("audit_events")
        .selectAll()
        .where("tenant_id", "=", tenant.id)
        .where("operation", "like", "push.sign-in.%")
        .execute();
      assert.deepEqual(
        events.map((e) => [e.operation, e.subject, Number(e.result_code)]),
        [
          ["push.sign-in.sent", `approval:${created.body.reference}`, 0],
          ["push.sign-in.refused", `user:${username}`, ApiReturnCode.CreateTransactionFailed],
        ],
      );
      assert.ok(!JSON.stringify(events).includes(`"${created.body.numberToMatch}"`));
    });
  });
}
