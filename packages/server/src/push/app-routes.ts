import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { body, okResponse } from "../app/route-schemas.ts";
import { answerApprovalRequest } from "../approvals/answer-approval.ts";
import { findByReference, pendingForDevice } from "../approvals/approval-store.ts";
import { appendRequestEvent, auditRequest } from "../audit/audit-requests.ts";
import { authenticateDevice } from "./app-authentication.ts";
import { streamDeviceEvents } from "./app-events.ts";
import { closeWaiters, takeWaitingSlot, watchDevice } from "./device-hub.ts";
import { deviceKeyAlgorithms, openDeviceMaterial, sealDeviceMaterial } from "./device-material.ts";
import { type EnrolBody, enrolDevice } from "./enrol-device.ts";
import { requestItem, requestItemSchema } from "./request-item.ts";
import { vapidPublicKey } from "./vapid-keys.ts";
import { checkedSubscription, webPushSchema } from "./web-push-subscription.ts";

/** The longest long poll (GET /app/v1/requests?waitSeconds). */
export const MAX_WAIT_SECONDS = 30;

/**
 * The app protocol (docs/authenticators.md, "Push devices and the app protocol"), outside /v1 and
 * without an API key: the enrolment link is the credential of the first request, the device's
 * signature of every later one (authenticateDevice). Bodies are kept as bytes, since the
 * signature covers them exactly.
 */
export const pushAppRoutes: FastifyPluginAsync = async (app) => {
  app.decorateRequest("pushDevice", null as never);
  app.decorateRequest("appRawBody", null as never);
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, raw, done) => {
    request.appRawBody = raw as Buffer;
    if ((raw as Buffer).length === 0) done(null, undefined);
    else json(request, (raw as Buffer).toString("utf8"), done);
  });
  app.addHook("onRequest", async (request) => {
    request.appRawBody = Buffer.alloc(0);
  });
  app.addHook("onSend", auditRequest);
  app.addHook("preClose", async () => closeWaiters(app.ctx));

  app.post<{ Params: { code: string }; Body: EnrolBody }>(
    "/enrolments/:code",
    {
      schema: {
        params: {
          type: "object",
          properties: { code: { type: "string", maxLength: 100 } },
          required: ["code"],
        },
        body: body(
          {
            algorithm: { type: "string", enum: [...deviceKeyAlgorithms] },
            publicKey: { type: "string", minLength: 1, maxLength: 400 },
            name: { type: "string", minLength: 1, maxLength: 100 },
            webPush: webPushSchema,
          },
          ["algorithm", "publicKey"],
        ),
        response: {
          201: okResponse({
            serial: { type: "string" },
            username: { type: "string" },
            tenant: { type: "string" },
            vapidPublicKey: { type: "string" },
          }),
        },
      },
    },
    async (request, reply) => {
      const enrolled = await enrolDevice(request, request.params.code, request.body);
      return reply.code(201).send(
        success({
          serial: enrolled.serial,
          username: enrolled.username,
          tenant: enrolled.tenant.name,
          vapidPublicKey: enrolled.vapidPublicKey,
        }),
      );
    },
  );

  await app.register(async (signed) => {
    // Before validation: a caller without the device's key learns nothing, not even the body's rules.
    signed.addHook("preValidation", authenticateDevice);

    signed.get<{ Querystring: { waitSeconds?: number } }>(
      "/requests",
      {
        schema: {
          querystring: {
            type: "object",
            properties: { waitSeconds: { type: "integer", minimum: 0, maximum: MAX_WAIT_SECONDS } },
            additionalProperties: false,
          },
          response: { 200: okResponse({ requests: { type: "array", items: requestItemSchema } }) },
        },
      },
      async (request) => {
        const ctx = request.server.ctx;
        const device = request.pushDevice;
        const pending = () => pendingForDevice(ctx.database.db, device.id, ctx.clock.now());
        let rows = await pending();
        const wait = request.query.waitSeconds ?? 0;
        if (rows.length === 0 && wait > 0) {
          const release = takeWaitingSlot(ctx, device.id);
          const gone = new AbortController();
          // The socket outlives the poll on a kept-alive connection: the listener goes with the
          // poll, or an app polling all day piles one closure per poll onto its socket.
          const abort = () => gone.abort();
          const socket = request.raw.socket;
          socket.once("close", abort);
          try {
            await watchDevice(
              ctx,
              device.id,
              async () => {
                rows = await pending();
                return rows.length > 0;
              },
              { ms: wait * 1000, signal: gone.signal },
            );
          } finally {
            socket.off("close", abort);
            release();
          }
        }
        return success({ requests: rows.map(requestItem) });
      },
    );

    signed.get("/events", async (request, reply) => {
      const ctx = request.server.ctx;
      const release = takeWaitingSlot(ctx, request.pushDevice.id);
      // The stream bypasses the audit hook (onSend), so it is recorded before it opens; fail closed.
      await appendRequestEvent(request, ApiReturnCode.Success, reply.elapsedTime).catch((cause: unknown) => {
        release();
        throw new TesseraError(ApiReturnCode.DatabaseError, {
          message: "The audit trail could not be written; the stream is not opened.",
          cause,
        });
      });
      streamDeviceEvents(request, reply, release);
      return reply;
    });

    signed.post<{
      Params: { reference: string };
      Body: { decision: "approved" | "rejected"; number?: number; approvalCode: string; fraud?: boolean };
    }>(
      "/requests/:reference/answer",
      {
        schema: {
          params: {
            type: "object",
            properties: { reference: { type: "string", maxLength: 64 } },
            required: ["reference"],
          },
          body: body(
            {
              decision: { type: "string", enum: ["approved", "rejected"] },
              number: { type: "integer", minimum: 10, maximum: 99 },
              approvalCode: { type: "string", minLength: 1, maxLength: 200 },
              fraud: { type: "boolean" },
            },
            ["decision", "approvalCode"],
          ),
          response: { 200: okResponse({ reference: { type: "string" }, status: { type: "string" } }) },
        },
      },
      async (request) => {
        const ctx = request.server.ctx;
        const device = request.pushDevice;
        const { reference } = request.params;
        const found = await findByReference(ctx.database.db, device.tenant_id, reference);
        // Another device's request (even the same user's) is as unknown as one that does not exist.
        if (found === undefined || found.authenticator_id !== device.id)
          throw new TesseraError(ApiReturnCode.UpdateTransactionReferenceCodeNotFound, {
            message: `no request ${reference} for this device`,
            field: "params.reference",
          });
        const answered = await answerApprovalRequest(ctx, {
          device,
          request: found,
          decision: request.body.decision,
          number: request.body.number,
          approvalCode: request.body.approvalCode,
          fraud: request.body.fraud,
          requestId: request.id,
          sourceIp: request.ip,
        });
        return success({ reference: answered.reference, status: answered.status });
      },
    );

    signed.put<{ Body: { endpoint: string; keys: { p256dh: string; auth: string } } }>(
      "/web-push",
      {
        schema: {
          body: webPushSchema,
          response: { 200: okResponse({ serial: { type: "string" }, vapidPublicKey: { type: "string" } }) },
        },
      },
      async (request) => updateSubscription(request),
    );
  });
};

/** Replaces the device's Web Push subscription (an app re-subscribes when its push service rotates it). */
async function updateSubscription(
  request: FastifyRequest<{ Body: { endpoint: string; keys: { p256dh: string; auth: string } } }>,
) {
  const ctx = request.server.ctx;
  const device = request.pushDevice;
  const webPush = checkedSubscription(ctx.config, request.body, "body");
  const material = openDeviceMaterial(ctx, device);
  await ctx.database.db
    .updateTable("authenticators")
    .set({
      secret_enc: sealDeviceMaterial(ctx, device.id, { ...material, webPush }),
      updated_at: ctx.clock.now(),
    })
    .where("id", "=", device.id)
    .execute();
  return success({ serial: device.serial, vapidPublicKey: await vapidPublicKey(ctx) });
}
