import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { body, okResponse } from "../../app/route-schemas.ts";
import { appendRequestEvent } from "../../audit/audit-requests.ts";
import { idParam, tenantCredential } from "../credentials/credential-routes.ts";
import { answerQuestion } from "./answer-question.ts";
import { streamJobEvents } from "./job-events.ts";
import { findJob, type JobRow, listJobs, timeline } from "./job-store.ts";
import { entrySchema, entryView, jobSchema, jobView } from "./job-view.ts";

type IdParams = { Params: { id: string } };
const jobCursor = listCursor("jobs", ["number", "string"]);

export async function jobFromPath(request: FastifyRequest<IdParams>): Promise<JobRow> {
  request.auditSubject = `job:${request.params.id}`;
  const job = await findJob(request.server.ctx.database.db, request.params.id);
  if (job === undefined || job.tenant_id !== request.tenant.id)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no job ${request.params.id}`,
      field: "params.id",
    });
  return job;
}

const statusResponse = okResponse({ job: jobSchema, status: { type: "array", items: entrySchema } });

async function statusOf(request: FastifyRequest, job: JobRow) {
  const entries = await timeline(request.server.ctx.database.db, job.id);
  return success({ job: jobView(job), status: entries.map((e) => entryView(job.id, e)) });
}

export const jobRoutes: FastifyPluginAsync = async (app) => {
  app.get<IdParams>(
    "/jobs/:id/status",
    { schema: { params: idParam, response: { 200: statusResponse } } },
    async (request) => statusOf(request, await jobFromPath(request)),
  );

  app.get<IdParams>("/jobs/:id/events", { schema: { params: idParam } }, async (request, reply) => {
    const job = await jobFromPath(request);
    // The stream bypasses the audit hook (onSend), so it is recorded before it opens; fail closed.
    await appendRequestEvent(request, ApiReturnCode.Success, reply.elapsedTime).catch((cause: unknown) => {
      throw new TesseraError(ApiReturnCode.DatabaseError, {
        message: "The audit trail could not be written; the stream is not opened.",
        cause,
      });
    });
    streamJobEvents(request, reply, job);
  });

  app.post<IdParams & { Body: { twofa: Record<string, string> } }>(
    "/jobs/:id/twofa",
    {
      schema: {
        params: idParam,
        body: body(
          {
            twofa: {
              type: "object",
              maxProperties: 10,
              additionalProperties: { type: "string", maxLength: 200 },
            },
          },
          ["twofa"],
        ),
        response: { 202: statusResponse },
      },
    },
    async (request, reply) => {
      const job = await jobFromPath(request);
      await answerQuestion(request.server.ctx, job, request.body.twofa);
      reply.code(202);
      return statusOf(request, (await findJob(request.server.ctx.database.db, job.id)) ?? job);
    },
  );

  app.get<{ Querystring: { credential?: string; limit?: number; cursor?: string } }>(
    "/jobs",
    {
      schema: {
        querystring: {
          type: "object",
          properties: { credential: { type: "string", maxLength: 64 }, ...pageQueryProperties(50, 200) },
          additionalProperties: false,
        },
        response: {
          200: okResponse({ jobs: { type: "array", items: jobSchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = jobCursor.decode(request.query.cursor) as [number, string] | undefined;
      // A filter by a credential that is not the tenant's is 404, as in a path, not an empty page.
      if (request.query.credential !== undefined)
        await tenantCredential(request, request.query.credential, "querystring.credential");
      const rows = await listJobs(request.server.ctx.database.db, request.tenant.id, {
        credentialId: request.query.credential,
        after,
        limit: limit + 1,
      });
      const { page, nextCursor } = jobCursor.page(rows, limit, (job) => [job.created_at, job.id]);
      return success({ jobs: page.map(jobView), nextCursor });
    },
  );
};
