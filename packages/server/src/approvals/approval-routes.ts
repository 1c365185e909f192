import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { body, okResponse } from "../app/route-schemas.ts";
import { appendRequestEvent } from "../audit/audit-requests.ts";
import { findBySerial } from "../authenticators/authenticator-store.ts";
import { requireSerial } from "../authenticators/serial.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { findUser } from "../users/user-store.ts";
import { requireWellFormed, usernameInput } from "../users/username.ts";
import { answerApprovalRequest } from "./answer-approval.ts";
import { detailsInput } from "./approval-details.ts";
import { streamApprovalEvents } from "./approval-events.ts";
import { closeApprovalStreams } from "./approval-updates.ts";
import {
  approvalProperties,
  approvalView,
  findTransaction,
  type TransactionRecord,
} from "./approval-view.ts";
import { createTransaction } from "./create-approval.ts";
import { referencePattern } from "./new-reference.ts";

type ReferenceParams = { Params: { reference: string } };
const referenceParam = {
  type: "object",
  properties: { reference: { type: "string", maxLength: 200 } },
  required: ["reference"],
} as const;
const approvalResponse = okResponse(approvalProperties);
const referenceRule = new RegExp(referencePattern);

/**
 * The tenant's transaction request named in the path. The reference is the path segment: an
 * empty or blank one (`/v1/approvals/%20/status`) is UpdateTransactionReferenceCodeNotSpecified;
 * one that is not the tenant's transaction (unknown, another tenant's, a sign-in push) is
 * UpdateTransactionReferenceCodeNotFound, alike.
 */
export async function transactionFromPath(
  request: FastifyRequest<ReferenceParams>,
): Promise<TransactionRecord> {
  const reference = request.params.reference;
  if (reference.trim() === "")
    throw new TesseraError(ApiReturnCode.UpdateTransactionReferenceCodeNotSpecified, {
      message: "the path names no reference: /v1/approvals/{reference}",
      field: "params.reference",
    });
  request.auditSubject = `approval:${reference.slice(0, 64)}`;
  const found = referenceRule.test(reference)
    ? await findTransaction(request.server.ctx.database.db, request.tenant.id, reference)
    : undefined;
  if (found === undefined)
    throw new TesseraError(ApiReturnCode.UpdateTransactionReferenceCodeNotFound, {
      message: `no approval request ${reference.slice(0, 64)}`,
      field: "params.reference",
    });
  return found;
}

interface CreateBody {
  username: string;
  reference?: string;
  serial?: string;
  details: Record<string, unknown>;
}

export const approvalRoutes: FastifyPluginAsync = async (app) => {
  app.addHook("preClose", async () => closeApprovalStreams(app.ctx));

  app.post<{ Body: CreateBody }>(
    "/approvals",
    {
      config: { idempotent: true },
      schema: {
        body: body(
          {
            username: usernameInput,
            reference: { type: "string", maxLength: 64, pattern: referencePattern },
            serial: { type: "string", maxLength: 200 },
            details: detailsInput,
          },
          ["username", "details"],
        ),
        response: { 201: approvalResponse },
      },
    },
    async (request, reply) => {
      const ctx = request.server.ctx;
      const username = requireWellFormed(request.body.username, "body.username");
      request.auditSubject = `user:${username}`;
      const user = await findUser(ctx.database.db, request.tenant.id, username);
      if (user === undefined)
        throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
          message: `no user ${username}`,
          field: "body.username",
        });
      const refusal = signInRefusal(user, ctx.clock.now());
      if (refusal !== undefined) throw new TesseraError(refusal.code, { message: refusal.message });
      const serial =
        request.body.serial === undefined ? undefined : requireSerial(request.body.serial, "body.serial");
      const { row, device } = await createTransaction(ctx, {
        tenant: request.tenant,
        user,
        details: request.body.details,
        reference: request.body.reference,
        serial,
      });
      return reply
        .code(201)
        .send(
          success(approvalView({ row, username: user.username, serial: device.serial }, ctx.clock.now())),
        );
    },
  );

  app.get<ReferenceParams>(
    "/approvals/:reference",
    { schema: { params: referenceParam, response: { 200: approvalResponse } } },
    async (request) =>
      success(approvalView(await transactionFromPath(request), request.server.ctx.clock.now())),
  );

  app.post<ReferenceParams & { Body: { status: string; approvalCode: string } }>(
    "/approvals/:reference/status",
    {
      schema: {
        params: referenceParam,
        body: body(
          {
            status: { type: "string", maxLength: 40 },
            approvalCode: { type: "string", minLength: 1, maxLength: 200 },
          },
          ["status", "approvalCode"],
        ),
        response: { 200: approvalResponse },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      const record = await transactionFromPath(request);
      const { status, approvalCode } = request.body;
      if (status !== "approved" && status !== "rejected")
        throw new TesseraError(ApiReturnCode.UpdateTransactionStatusInvalid, {
          message: "body.status must be approved or rejected",
          field: "body.status",
        });
      const device = await findBySerial(ctx.database.db, record.serial);
      if (device === undefined) throw new Error("an approval request outlived its device");
      const user = await findUser(ctx.database.db, request.tenant.id, record.username);
      const refusal = user === undefined ? undefined : signInRefusal(user, ctx.clock.now());
      if (refusal !== undefined) throw new TesseraError(refusal.code, { message: refusal.message });
      const row = await answerApprovalRequest(ctx, {
        device,
        request: record.row,
        decision: status,
        approvalCode,
        requestId: request.id,
        sourceIp: request.ip,
      });
      return success(approvalView({ ...record, row }, ctx.clock.now()));
    },
  );

  app.get<ReferenceParams>(
    "/approvals/:reference/events",
    { schema: { params: referenceParam } },
    async (request, reply) => {
      const record = await transactionFromPath(request);
      // The stream bypasses the audit hook (onSend), so it is recorded before it opens; fail closed.
      await appendRequestEvent(request, ApiReturnCode.Success, reply.elapsedTime).catch((cause: unknown) => {
        throw new TesseraError(ApiReturnCode.DatabaseError, {
          message: "The audit trail could not be written; the stream is not opened.",
          cause,
        });
      });
      streamApprovalEvents(request, reply, record);
    },
  );
};
