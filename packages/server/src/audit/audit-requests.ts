import { ApiReturnCode } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import { envelope } from "../app/envelope.ts";

/**
 * onSend hook of the tenant API: every request becomes an audit event before its response leaves,
 * so an acknowledged request is always in the trail. If the event cannot be written, the response
 * is replaced by DatabaseError: nothing is acknowledged that the trail does not show (fail closed).
 * The result code is read from the envelope, which always starts the body.
 */
const codePattern = /^\{"errorCode":(-?\d+)/;

export async function auditRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const { audit, clock } = request.server.ctx;
  const code = typeof payload === "string" ? codePattern.exec(payload)?.[1] : undefined;
  try {
    await audit.append({
      at: clock.now(),
      tenantId: request.tenant?.id ?? null,
      actor: request.actor ?? "anonymous",
      subject: request.auditSubject ?? null,
      sourceIp: request.ip,
      operation: `${request.method} ${request.routeOptions.url ?? "(no route)"}`,
      resultCode: code === undefined ? reply.statusCode : Number(code),
      durationMs: Math.round(reply.elapsedTime),
      requestId: request.id,
    });
    return payload;
  } catch (error) {
    request.log.error({ err: error }, "audit event could not be written");
    reply.code(503);
    return JSON.stringify(
      envelope(
        ApiReturnCode.DatabaseError,
        "The audit trail could not be written; the result is not confirmed.",
      ),
    );
  }
}
