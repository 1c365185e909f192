import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { approvalPayload } from "../src/approvals/approval-payload.ts";
import { APPROVAL_REQUEST_KEPT_MS } from "../src/approvals/sweep-approval-requests.ts";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { ownerOf, SoftwareDevice } from "./helpers/approval-device.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const details = {
  amount: "249.90",
  currency: "EUR",
  payee: "ACME Furniture GmbH",
  iban: "DE89370400440532013000",
};

for (const backend of backends) {
  suite(`transaction signing (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    let ed: SoftwareDevice;
    let p256: SoftwareDevice;
    before(async () => {
      s = await startTestServer(backend);
      ({
        apiKey,
        tenant: { id: tenantId },
      } = await s.tenant());
      for (const username of ["alice", "bob", "nodevice"])
        await s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "approvals: setup" });
      const ctx = s.server.ctx;
      ed = await new SoftwareDevice("ed25519").enrol(ctx, await ownerOf(ctx, tenantId, "alice"));
      p256 = await new SoftwareDevice("p256").enrol(ctx, await ownerOf(ctx, tenantId, "bob"));
    });
    after(() => s.close());

    const create = (body: unknown, scenario = "approvals: create") =>
      s.api("POST", "/v1/approvals", { apiKey, body, scenario });
    const answer = (reference: string, body: unknown, scenario = "approvals: answer") =>
      s.api("POST", `/v1/approvals/${reference}/status`, { apiKey, body, scenario });
    const read = (reference: string, scenario = "approvals: read") =>
      s.api("GET", `/v1/approvals/${reference}`, { apiKey, scenario });
    const created = async (username = "alice", extra: Record<string, unknown> = {}) => {
      const r = await create({ username, details, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return String(r.body.reference);
    };

    test("create, read, approve with an Ed25519 device: the code is kept, a second answer is refused", async () => {
      const r = await create({ username: "alice", details });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.match(String(r.body.reference), /^[0-9A-HJKMNP-TV-Z]{16}$/);
      assert.equal(r.body.status, "pending");
      assert.equal(r.body.serial, ed.serial);
      assert.deepEqual(r.body.details, details);
      assert.equal(r.body.expiresAt, new Date(s.clock.now() + 300_000).toISOString());
      const reference = String(r.body.reference);
      assert.equal((await read(reference)).body.status, "pending");
      const code = ed.approve(reference, details);
      const ok = await answer(reference, { status: "approved", approvalCode: code });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.status, "approved");
      const after = await read(reference);
      assert.equal(after.body.status, "approved");
      assert.equal(after.body.approvalCode, code);
      assert.equal(after.body.answeredAt, new Date(s.clock.now()).toISOString());
      for (const status of ["approved", "rejected"]) {
        const again = await answer(
          reference,
          { status, approvalCode: ed.approve(reference, details, status as "approved") },
          "approvals: answered twice",
        );
        assert.equal(again.status, 400);
        assert.equal(again.body.errorCode, ApiReturnCode.UpdateTransactionStatusInvalid);
      }
      assert.equal((await read(reference)).body.status, "approved");
    });

    test("housekeeping deletes requests 30 days after they expired, never one reported as fraud", async () => {
      // A user of its own: a fraud report locks the user's pushes, which the other tests must not meet.
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "carol" },
        scenario: "approvals: setup",
      });
      const device = await new SoftwareDevice("ed25519").enrol(
        s.server.ctx,
        await ownerOf(s.server.ctx, tenantId, "carol"),
      );
      const kept = await created("carol");
      const fraud = await created("carol");
      const refused = await answer(fraud, {
        status: "rejected",
        approvalCode: device.approve(fraud, details, "rejected"),
      });
      assert.equal(refused.status, 200, JSON.stringify(refused.body));
      // Reported as fraud by the app (its answer route carries the flag); set directly here because
      // only the app protocol can report it and this suite talks to the tenant API.
      await s.server.ctx.database.db
        .updateTable("approval_requests")
        .set({ fraud_reported: 1 })
        .where("reference", "=", fraud)
        .execute();
      const exists = async (reference: string) =>
        (await read(reference, "approvals: read after housekeeping")).status === 200;
      const expiresAt = Date.parse(String((await read(kept)).body.expiresAt));
      await runHousekeepingRound(s.server.ctx, expiresAt + APPROVAL_REQUEST_KEPT_MS - 1);
      assert.ok(await exists(kept), "kept until 30 days after its expiry");
      const round = await runHousekeepingRound(s.server.ctx, expiresAt + APPROVAL_REQUEST_KEPT_MS);
      assert.ok((round.deleted.approval_requests ?? 0) >= 1, JSON.stringify(round));
      assert.ok(!(await exists(kept)), "deleted once 30 days past its expiry");
      assert.ok(await exists(fraud), "a fraud report is kept: the push lock depends on it");
    });

    test("a P-256 device rejects; the rejection is final", async () => {
      const reference = await created("bob");
      const r = await answer(reference, {
        status: "rejected",
        approvalCode: p256.approve(reference, details, "rejected"),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, "rejected");
      assert.equal(r.body.fraudReported, false);
    });

    test("codes that do not cover this request, decision and details are UpdateTransactionApprovalCodeMissmatch", async () => {
      const reference = await created();
      const other = await created();
      const wrong = {
        "another request's code": ed.approve(other, details),
        "the other decision's code": ed.approve(reference, details, "rejected"),
        "a code over changed details": ed.approve(reference, { ...details, amount: "2499.00" }),
        "a code over a changed payee": ed.approve(reference, { ...details, payee: "Mallory Ltd" }),
        "another device's code": p256.approve(reference, details),
        "a sign-in payload": ed.sign(
          approvalPayload({ reference, kind: "sign-in", decision: "approved", number: null, details }),
        ),
        "not a signature": "AAAA",
        "a signature cut short": ed.approve(reference, details).slice(0, 40),
      };
      for (const [what, approvalCode] of Object.entries(wrong)) {
        const r = await answer(reference, { status: "approved", approvalCode }, "approvals: wrong code");
        assert.equal(r.status, 401, what);
        assert.equal(r.body.errorCode, ApiReturnCode.UpdateTransactionApprovalCodeMissmatch, what);
        assert.equal(r.body.field, "body.approvalCode", what);
      }
      // None of them changed anything: the right code still works.
      const ok = await answer(reference, {
        status: "approved",
        approvalCode: ed.approve(reference, details),
      });
      assert.equal(ok.body.status, "approved");
    });

    test("a status other than approved or rejected is UpdateTransactionStatusInvalid", async () => {
      const reference = await created();
      for (const status of ["maybe", "pending", "expired", "APPROVED", ""]) {
        const r = await answer(
          reference,
          { status, approvalCode: ed.approve(reference, details) },
          "approvals: bad status",
        );
        assert.equal(r.status, 400, status);
        assert.equal(r.body.errorCode, ApiReturnCode.UpdateTransactionStatusInvalid, status);
        assert.equal(r.body.field, "body.status");
      }
      assert.equal((await read(reference)).body.status, "pending");
    });

    test("after its lifetime a request reads expired and takes no answer", async () => {
      const reference = await created();
      s.clock.advance(300_000);
      assert.equal((await read(reference, "approvals: expired")).body.status, "expired");
      const r = await answer(
        reference,
        { status: "approved", approvalCode: ed.approve(reference, details) },
        "approvals: expired",
      );
      assert.equal(r.body.errorCode, ApiReturnCode.UpdateTransactionStatusInvalid);
      assert.match(r.body.errorMessage, /expired/);
    });

    test("a blank reference is UpdateTransactionReferenceCodeNotSpecified", async () => {
      const code = { status: "approved", approvalCode: "AAAA" };
      for (const reference of ["%20", "%20%20%09"]) {
        for (const r of [
          await answer(reference, code, "approvals: blank reference"),
          await read(reference, "approvals: blank reference"),
          await s.api("GET", `/v1/approvals/${reference}/events`, {
            apiKey,
            scenario: "approvals: blank reference",
          }),
        ]) {
          assert.equal(r.status, 400, reference);
          assert.equal(r.body.errorCode, ApiReturnCode.UpdateTransactionReferenceCodeNotSpecified);
          assert.equal(r.body.field, "params.reference");
        }
      }
    });

    test("unknown references, another tenant's, and sign-in pushes are UpdateTransactionReferenceCodeNotFound", async () => {
      const other = await s.tenant();
      const ctx = s.server.ctx;
      await s.api("POST", "/v1/users", {
        apiKey: other.apiKey,
        body: { username: "alice" },
        scenario: "approvals: setup",
      });
      const theirs = await new SoftwareDevice().enrol(ctx, await ownerOf(ctx, other.tenant.id, "alice"));
      const foreign = await s.api("POST", "/v1/approvals", {
        apiKey: other.apiKey,
        body: { username: "alice", details, reference: "ORDER-4711" },
        scenario: "approvals: other tenant",
      });
      assert.equal(foreign.status, 201);
      // The same reference is free in this tenant: references are per tenant, nothing leaks.
      const mine = await create(
        { username: "alice", details, reference: "ORDER-4711" },
        "approvals: own reference",
      );
      assert.equal(mine.status, 201, JSON.stringify(mine.body));
      const signIn = (
        await ctx.database.db
          .selectFrom("approval_requests")
          .select("reference")
          .where("tenant_id", "=", tenantId)
          .executeTakeFirstOrThrow()
      ).reference;
      await ctx.database.db
        .updateTable("approval_requests")
        .set({ kind: "sign-in", number_to_match: 42, details: null })
        .where("reference", "=", signIn)
        .where("tenant_id", "=", tenantId)
        .execute();
      for (const reference of ["NOSUCHREFERENCE1", "x".repeat(65), "a%2Fb", signIn]) {
        for (const r of [
          await read(reference, "approvals: unknown"),
          await answer(reference, { status: "approved", approvalCode: "AAAA" }, "approvals: unknown"),
          await s.api("GET", `/v1/approvals/${reference}/events`, { apiKey, scenario: "approvals: unknown" }),
        ]) {
          assert.equal(r.status, 404, reference);
          assert.equal(r.body.errorCode, ApiReturnCode.UpdateTransactionReferenceCodeNotFound, reference);
        }
      }
      // Another tenant's reference, even with its own device's right code, is as unknown as none.
      const code = theirs.approve("ORDER-4711", details);
      const crossed = await s.api("POST", `/v1/approvals/${String(foreign.body.reference)}/status`, {
        apiKey,
        body: { status: "approved", approvalCode: code },
        scenario: "approvals: other tenant",
      });
      // This tenant has its own ORDER-4711 (alice's device), which the other device's code does not sign.
      assert.equal(crossed.body.errorCode, ApiReturnCode.UpdateTransactionApprovalCodeMissmatch);
      const theirsRead = await s.api("GET", `/v1/approvals/${String(foreign.body.reference)}`, {
        apiKey: other.apiKey,
        scenario: "approvals: other tenant",
      });
      assert.equal(theirsRead.body.status, "pending");
      assert.equal(theirsRead.body.serial, theirs.serial);
    });
  });
}
