import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { sql } from "kysely";
import type { ServerContext } from "../src/app/server-context.ts";
import { answerApprovalRequest } from "../src/approvals/answer-approval.ts";
import { findByReference } from "../src/approvals/approval-store.ts";
import { findBySerial } from "../src/authenticators/authenticator-store.ts";
import { ownerOf, SoftwareDevice } from "./helpers/approval-device.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const details = { amount: "12.50", currency: "EUR", payee: "Corner Shop" };
/** The production default of approvals.maxPendingPerUser (settings.ts). */
const CAP = 5;

/**
 * Makes the database itself refuse every INSERT or UPDATE of approval_requests, by a trigger: the
 * statement Tessera sends fails inside the database exactly as it does when a disk is full, a
 * constraint added by an operator bites or a permission is revoked, so the code under test runs
 * its real failure path (no stub replaces anything in the process).
 */
async function refuseWrites(ctx: ServerContext, on: "INSERT" | "UPDATE"): Promise<() => Promise<void>> {
  const db = ctx.database.db;
  const name = `refuse_approval_${on.toLowerCase()}`;
  if (ctx.database.dialect === "postgres") {
    await sql
      .raw(
        `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
      )
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER ${name} BEFORE ${on} ON approval_requests FOR EACH ROW EXECUTE FUNCTION ${name}()`)
      .execute(db);
    return async () => {
      await sql.raw(`DROP TRIGGER ${name} ON approval_requests`).execute(db);
      await sql.raw(`DROP FUNCTION ${name}()`).execute(db);
    };
  }
  await sql
    .raw(
      `CREATE TRIGGER ${name} BEFORE ${on} ON approval_requests BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    )
    .execute(db);
  return async () => {
    await sql.raw(`DROP TRIGGER ${name}`).execute(db);
  };
}

for (const backend of backends) {
  suite(`transaction signing refusals (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    let alice: SoftwareDevice;
    before(async () => {
      s = await startTestServer(backend);
      ({
        apiKey,
        tenant: { id: tenantId },
      } = await s.tenant());
      for (const username of ["alice", "bob", "carol", "dave", "erin", "frank"])
        await s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "approvals: setup" });
      alice = await new SoftwareDevice().enrol(s.server.ctx, await ownerOf(s.server.ctx, tenantId, "alice"));
    });
    after(() => s.close());

    const create = (body: unknown, scenario: string) =>
      s.api("POST", "/v1/approvals", { apiKey, body, scenario });
    const answer = (reference: string, body: unknown, scenario: string) =>
      s.api("POST", `/v1/approvals/${reference}/status`, { apiKey, body, scenario });
    const enrol = async (username: string, algorithm: "ed25519" | "p256" = "ed25519", created?: number) =>
      new SoftwareDevice(algorithm).enrol(
        s.server.ctx,
        await ownerOf(s.server.ctx, tenantId, username),
        created,
      );

    test("an amount sent as a JSON number gets one message: send a decimal string", async () => {
      const r = await create(
        { username: "alice", details: { ...details, amount: 249.9 } },
        "approvals: amount as a number",
      );
      assert.equal(r.status, 400);
      assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
      const messages = (r.body.errors as { field: string; message: string }[]).map((e) => e.message);
      // Not also "must be a whole number" (the rule of further fields), which contradicts it.
      assert.deepEqual(messages, [
        'body.details.amount must be a decimal string such as "249.90" (no sign, no exponent, not a JSON number).',
      ]);
    });

    test("no push device, or a serial that is not one of the user's, is CreateTransactionFailed", async () => {
      const none = await create({ username: "bob", details }, "approvals: no device");
      assert.equal(none.status, 409);
      assert.equal(none.body.errorCode, ApiReturnCode.CreateTransactionFailed);
      assert.equal(none.body.field, "body.username");
      assert.match(none.body.errorMessage, /POST \/v1\/users\/bob\/push-enrolments/);
      const totp = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp" },
        scenario: "approvals: setup",
      });
      const totpSerial = (totp.body.authenticator as { serial: string }).serial;
      for (const serial of [totpSerial, alice.serial, "PUSH99999999"]) {
        const r = await create({ username: "bob", details, serial }, "approvals: not their device");
        assert.equal(r.body.errorCode, ApiReturnCode.CreateTransactionFailed, serial);
        assert.equal(r.body.field, "body.serial");
      }
      // A disabled device is no device.
      const bobs = await enrol("bob");
      await s.api("POST", `/v1/authenticators/${bobs.serial}/disable`, {
        apiKey,
        scenario: "approvals: setup",
      });
      const disabled = await create({ username: "bob", details }, "approvals: disabled device");
      assert.equal(disabled.body.errorCode, ApiReturnCode.CreateTransactionFailed);
    });

    test("without a serial the user's newest enabled device is asked; with one, that device", async () => {
      const older = await enrol("erin", "ed25519", s.clock.now() - 60_000);
      const newer = await enrol("erin", "p256");
      const r = await create({ username: "erin", details }, "approvals: device choice");
      assert.equal(r.body.serial, newer.serial);
      const named = await create(
        { username: "erin", details, serial: older.serial },
        "approvals: device choice",
      );
      assert.equal(named.body.serial, older.serial);
      // The other device's signature does not answer it.
      const reference = String(named.body.reference);
      const wrong = await answer(
        reference,
        { status: "approved", approvalCode: newer.approve(reference, details) },
        "approvals: device choice",
      );
      assert.equal(wrong.body.errorCode, ApiReturnCode.UpdateTransactionApprovalCodeMissmatch);
    });

    test("a reference taken in the tenant is CreateTransactionFailed naming body.reference", async () => {
      assert.equal(
        (await create({ username: "alice", details, reference: "INV-1" }, "approvals: reference")).status,
        201,
      );
      const again = await create(
        { username: "alice", details, reference: "INV-1" },
        "approvals: reference taken",
      );
      assert.equal(again.body.errorCode, ApiReturnCode.CreateTransactionFailed);
      assert.equal(again.body.field, "body.reference");
    });

    test(`a burst of 20 requests for one user creates at most ${CAP}; the rest wait for the oldest to expire`, async () => {
      const carol = await enrol("carol");
      const results = await Promise.all(
        Array.from({ length: 20 }, () => create({ username: "carol", details }, "approvals: cap burst")),
      );
      const createdRefs = results.filter((r) => r.status === 201).map((r) => String(r.body.reference));
      assert.equal(createdRefs.length, CAP);
      for (const r of results.filter((x) => x.status !== 201)) {
        assert.equal(r.body.errorCode, ApiReturnCode.CreateTransactionFailed, JSON.stringify(r.body));
        assert.equal(r.headers.get("retry-after"), "300");
      }
      // An answered request makes room at once; so does an expired one.
      const first = createdRefs[0] ?? "";
      await answer(
        first,
        { status: "rejected", approvalCode: carol.approve(first, details, "rejected") },
        "approvals: cap burst",
      );
      assert.equal((await create({ username: "carol", details }, "approvals: cap burst")).status, 201);
      assert.equal((await create({ username: "carol", details }, "approvals: cap full")).status, 409);
      s.clock.advance(300_000);
      assert.equal((await create({ username: "carol", details }, "approvals: cap after expiry")).status, 201);
    });

    test("a disabled device's or user's answer is refused and changes nothing", async () => {
      const dave = await enrol("dave");
      const reference = String(
        (await create({ username: "dave", details }, "approvals: disabled")).body.reference,
      );
      await s.api("POST", `/v1/authenticators/${dave.serial}/disable`, {
        apiKey,
        scenario: "approvals: setup",
      });
      const byDisabled = await answer(
        reference,
        { status: "approved", approvalCode: dave.approve(reference, details) },
        "approvals: disabled device",
      );
      assert.equal(byDisabled.body.errorCode, ApiReturnCode.DeviceDiabled);
      await s.api("POST", `/v1/authenticators/${dave.serial}/enable`, {
        apiKey,
        scenario: "approvals: setup",
      });
      await s.api("PATCH", "/v1/users/dave", {
        apiKey,
        body: { disabled: true },
        scenario: "approvals: setup",
      });
      const byDisabledUser = await answer(
        reference,
        { status: "approved", approvalCode: dave.approve(reference, details) },
        "approvals: disabled user",
      );
      assert.equal(byDisabledUser.body.errorCode, ApiReturnCode.PartnerUserLoginDisabled);
      const created = await create({ username: "dave", details }, "approvals: disabled user");
      assert.equal(created.body.errorCode, ApiReturnCode.PartnerUserLoginDisabled);
      const read = await s.api("GET", `/v1/approvals/${reference}`, {
        apiKey,
        scenario: "approvals: disabled",
      });
      assert.equal(read.body.status, "pending");
    });

    test("20 concurrent answers to one request: exactly one is recorded, the others are UpdateTransactionStatusInvalid", async () => {
      const reference = String(
        (await create({ username: "alice", details }, "approvals: race")).body.reference,
      );
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const status = i % 2 === 0 ? "approved" : "rejected";
          return answer(
            reference,
            { status, approvalCode: alice.approve(reference, details, status) },
            "approvals: race",
          );
        }),
      );
      const won = results.filter((r) => r.status === 200);
      assert.equal(won.length, 1);
      for (const r of results.filter((x) => x.status !== 200))
        assert.equal(r.body.errorCode, ApiReturnCode.UpdateTransactionStatusInvalid, JSON.stringify(r.body));
      const read = await s.api("GET", `/v1/approvals/${reference}`, { apiKey, scenario: "approvals: race" });
      assert.equal(read.body.status, won[0]?.body.status);
    });

    test("a write the database refuses: UpdateTransactionStatusFailed, and the request stays answerable", async () => {
      const reference = String(
        (await create({ username: "alice", details }, "approvals: write fails")).body.reference,
      );
      const allow = await refuseWrites(s.server.ctx, "UPDATE");
      let failed: Awaited<ReturnType<typeof answer>>;
      try {
        failed = await answer(
          reference,
          { status: "approved", approvalCode: alice.approve(reference, details) },
          "approvals: write fails",
        );
      } finally {
        await allow();
      }
      assert.equal(
        failed.body.errorCode,
        ApiReturnCode.UpdateTransactionStatusFailed,
        JSON.stringify(failed.body),
      );
      const read = await s.api("GET", `/v1/approvals/${reference}`, {
        apiKey,
        scenario: "approvals: write fails",
      });
      assert.equal(read.body.status, "pending");
      const ok = await answer(
        reference,
        { status: "approved", approvalCode: alice.approve(reference, details) },
        "approvals: write fails",
      );
      assert.equal(ok.body.status, "approved");
    });

    test("an insert the database refuses: CreateTransactionFailed", async () => {
      const allow = await refuseWrites(s.server.ctx, "INSERT");
      let failed: Awaited<ReturnType<typeof create>>;
      try {
        failed = await create({ username: "alice", details }, "approvals: insert fails");
      } finally {
        await allow();
      }
      assert.equal(failed.status, 409);
      assert.equal(failed.body.errorCode, ApiReturnCode.CreateTransactionFailed);
      assert.match(failed.body.errorMessage, /could not be stored/);
    });

    test("a standing fraud report refuses transaction pushes too, until an administrator clears it", async () => {
      const frank = await enrol("frank");
      const first = await create({ username: "frank", details }, "approvals: fraud lock setup");
      const reference = String(first.body.reference);
      // The app's answer, as /app/v1/requests/{reference}/answer records it: "this was not me".
      const ctx = s.server.ctx;
      const device = await findBySerial(ctx.database.db, frank.serial);
      const row = await findByReference(ctx.database.db, tenantId, reference);
      assert.ok(device !== undefined && row !== undefined);
      await answerApprovalRequest(ctx, {
        device,
        request: row,
        decision: "rejected",
        approvalCode: frank.approve(reference, details, "rejected"),
        fraud: true,
      });
      // The docs: "from then on every push to that user ... is CreateTransactionFailed without Retry-After".
      const locked = await create({ username: "frank", details }, "approvals: fraud lock");
      assert.equal(locked.status, 409);
      assert.equal(locked.body.errorCode, ApiReturnCode.CreateTransactionFailed);
      assert.match(String(locked.body.errorMessage), new RegExp(`fraud.*${reference}|${reference}.*fraud`));
      assert.equal(locked.headers.get("retry-after"), null);
      const pending = await ctx.database.db
        .selectFrom("approval_requests")
        .select("id")
        .where("authenticator_id", "=", frank.id)
        .where("status", "=", "pending")
        .execute();
      assert.equal(pending.length, 0, "no request reached the phone");
      const cleared = await s.api("DELETE", "/v1/users/frank/push-lock", {
        apiKey,
        scenario: "approvals: fraud lock setup",
      });
      assert.equal(cleared.body.cleared, true);
      assert.equal((await create({ username: "frank", details }, "approvals: fraud lock setup")).status, 201);
    });
  });
}
