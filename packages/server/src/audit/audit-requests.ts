import { ApiReturnCode } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import { envelope, resultCodeOf } from "../app/envelope.ts";
import { addressGroup } from "../rate-limits/address-group.ts";
import { countRefusedRequest } from "../rate-limits/refused-requests.ts";

/**
 * onSend hook of the tenant API: every request becomes an audit event before its response leaves,
 * so an acknowledged request is always in the trail. If the event cannot be written, the response
 * is replaced by DatabaseError: nothing is acknowledged that the trail does not show (fail closed).
 * The result code is read from the envelope, which always starts the body (resultCodeOf).
 */

export async function auditRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const resultCode = resultCodeOf(payload) ?? reply.statusCode;
  try {
    await recordRequest(request, resultCode, reply.elapsedTime);
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

/**
 * Records one request, API or page. Requests without a tenant (refused before one was known, or an
 * anonymous page view) cost the sender nothing, so they are counted per source address and only
 * the first of a window is written now; the rest become one aggregated event
 * (rate-limits/refused-requests.ts).
 */
export async function recordRequest(
  request: FastifyRequest,
  resultCode: number,
  elapsedMs: number,
): Promise<void> {
  const { database, clock } = request.server.ctx;
  if (
    request.tenant === null &&
    !(await countRefusedRequest(database.db, addressGroup(request.ip), resultCode, clock.now()))
  )
    return;
  await appendRequestEvent(request, resultCode, elapsedMs);
}

/**
 * The audit event of one tenant API request. Exported for responses that bypass onSend (the job
 * event stream): they record themselves before the first byte leaves.
 */
export function appendRequestEvent(
  request: FastifyRequest,
  resultCode: number,
  elapsedMs: number,
): Promise<void> {
  const { audit, clock } = request.server.ctx;
  return audit.append({
    at: clock.now(),
    tenantId: request.tenant?.id ?? null,
    actor: request.actor ?? "anonymous",
    subject: request.auditSubject ?? null,
    sourceIp: request.ip,
    operation: `${request.method} ${request.routeOptions.url ?? "(no route)"}`,
    resultCode,
    durationMs: Math.round(elapsedMs),
    requestId: request.id,
  });
}
