import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../src/app/server-context.ts";
import { answerApprovalRequest } from "../src/approvals/answer-approval.ts";
import { approvalPayload, type Decision } from "../src/approvals/approval-payload.ts";
import { type ApprovalRequestRow, insertApprovalRequest } from "../src/approvals/approval-store.ts";
import { newReference } from "../src/approvals/new-reference.ts";
import { findBySerial } from "../src/authenticators/authenticator-store.ts";
import { ownerOf, SoftwareDevice } from "./helpers/approval-device.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * answerApprovalRequest for sign-in pushes (the push sign-in part creates them, the app protocol
 * relays the answer): the number the user typed is inside the signed payload and must equal the
 * number the sign-in screen showed. Called directly here, on a real database, since neither
 * route of this part takes sign-in answers.
 */
for (const backend of backends) {
  suite(`sign-in push answers (${backend})`, () => {
    let s: TestServer;
    let ctx: ServerContext;
    let device: SoftwareDevice;
    let owner: { tenantId: string; userId: string };
    before(async () => {
      s = await startTestServer(backend);
      ctx = s.server.ctx;
      const { tenant, apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", { apiKey, body: { username: "sam" }, scenario: "approvals: setup" });
      owner = await ownerOf(ctx, tenant.id, "sam");
      device = await new SoftwareDevice("p256").enrol(ctx, owner);
    });
    after(() => s.close());

    const signInRequest = async (numberToMatch = 42): Promise<ApprovalRequestRow> => {
      const now = ctx.clock.now();
      const row: ApprovalRequestRow = {
        id: randomUUID(),
        reference: newReference(),
        tenant_id: owner.tenantId,
        user_id: owner.userId,
        authenticator_id: device.id,
        kind: "sign-in",
        context: JSON.stringify({ app: "Mail", sourceIp: "203.0.113.9" }),
        details: null,
        number_to_match: numberToMatch,
        status: "pending",
        fraud_reported: 0,
        approval_code: null,
        created_at: now,
        expires_at: now + 120_000,
        answered_at: null,
      };
      await insertApprovalRequest(ctx.database.db, row);
      return row;
    };
    const answer = async (
      request: ApprovalRequestRow,
      decision: Decision,
      number: number | undefined,
      options: { fraud?: boolean; signedNumber?: number | null } = {},
    ) => {
      const signed = options.signedNumber === undefined ? (number ?? null) : options.signedNumber;
      const approvalCode = device.sign(
        approvalPayload({
          reference: request.reference,
          kind: "sign-in",
          decision,
          number: signed,
          details: null,
        }),
      );
      const row = (await findBySerial(ctx.database.db, device.serial)) ?? assert.fail("device");
      return answerApprovalRequest(ctx, {
        device: row,
        request,
        decision,
        number,
        approvalCode,
        fraud: options.fraud,
      });
    };
    const stored = (id: string) =>
      ctx.database.db
        .selectFrom("approval_requests")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
    const code = async (work: Promise<unknown>) => {
      try {
        await work;
      } catch (error) {
        if (TesseraError.is(error)) return error.code;
        throw error;
      }
      return 0;
    };

    test("the right number approves", async () => {
      const request = await signInRequest(42);
      const answered = await answer(request, "approved", 42);
      assert.equal(answered.status, "approved");
      assert.equal((await stored(request.id)).status, "approved");
    });

    test("a correctly signed approval with the wrong number ends the request rejected, audited", async () => {
      const request = await signInRequest(42);
      const answered = await answer(request, "approved", 24);
      assert.equal(answered.status, "rejected");
      assert.equal((await stored(request.id)).status, "rejected");
      const events = await ctx.database.db
        .selectFrom("audit_events")
        .select(["operation", "actor", "subject"])
        .where("subject", "=", `approval:${request.reference}`)
        .execute();
      assert.deepEqual(
        events.map((e) => ({ ...e })),
        [
          {
            operation: "approval sign-in answered approved: rejected (wrong number)",
            actor: `device:${device.serial}`,
            subject: `approval:${request.reference}`,
          },
        ],
      );
      // No second guess: the request is final.
      assert.equal(await code(answer(request, "approved", 42)), ApiReturnCode.UpdateTransactionStatusInvalid);
    });

    test("an approval without a number is the wrong number", async () => {
      const request = await signInRequest(42);
      assert.equal((await answer(request, "approved", undefined)).status, "rejected");
    });

    test("a number changed after signing is UpdateTransactionApprovalCodeMissmatch and changes nothing", async () => {
      const request = await signInRequest(42);
      const mismatch = await code(answer(request, "approved", 42, { signedNumber: 24 }));
      assert.equal(mismatch, ApiReturnCode.UpdateTransactionApprovalCodeMissmatch);
      assert.equal((await stored(request.id)).status, "pending");
    });

    test("a rejection may report fraud; an approval may not", async () => {
      const request = await signInRequest(42);
      assert.equal(
        await code(answer(request, "approved", 42, { fraud: true })),
        ApiReturnCode.UpdateTransactionStatusInvalid,
      );
      const rejected = await answer(request, "rejected", undefined, { fraud: true });
      assert.equal(rejected.status, "rejected");
      assert.equal((await stored(request.id)).fraud_reported, 1);
    });

    test("another device cannot answer the request, even with its own valid signature", async () => {
      const request = await signInRequest(42);
      const other = await new SoftwareDevice().enrol(ctx, owner);
      const approvalCode = other.sign(
        approvalPayload({
          reference: request.reference,
          kind: "sign-in",
          decision: "approved",
          number: 42,
          details: null,
        }),
      );
      const row = (await findBySerial(ctx.database.db, other.serial)) ?? assert.fail("device");
      const refused = await code(
        answerApprovalRequest(ctx, { device: row, request, decision: "approved", number: 42, approvalCode }),
      );
      assert.equal(refused, ApiReturnCode.UpdateTransactionReferenceCodeNotFound);
      assert.equal((await stored(request.id)).status, "pending");
    });
  });
}
