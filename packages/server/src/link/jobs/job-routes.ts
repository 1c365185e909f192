import { CredentialStatus, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../../app/envelope.ts";
import { body, okResponse } from "../../app/route-schemas.ts";
import type { SecondFactorField } from "../connectors/connector.ts";
import { idParam } from "../credentials/credential-routes.ts";
import { jobAnswer, sealJson } from "../link-secrets.ts";
import { expireQuestions } from "./claim-job.ts";
import { streamJobEvents } from "./job-events.ts";
import { findJob, type JobRow, timeline, transition } from "./job-store.ts";
import { entrySchema, entryView, jobSchema, jobView } from "./job-view.ts";

type IdParams = { Params: { id: string } };

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

/** The answers must name exactly the question's fields; a choice must be one of its options. */
function checkAnswers(question: readonly SecondFactorField[], answers: Record<string, string>): void {
  const bad = (name: string, message: string) =>
    new TesseraError(TesseraApiCode.MalformedRequest, { message, field: `body.twofa.${name}` });
  for (const name of Object.keys(answers))
    if (!question.some((f) => f.name === name)) throw bad(name, `the question has no field "${name}"`);
  for (const field of question) {
    const value = answers[field.name];
    if (value === undefined || value.trim() === "") throw bad(field.name, `"${field.name}" is required`);
    if (field.options !== undefined && !field.options.some((o) => o.value === value))
      throw bad(field.name, `"${field.name}" must be one of ${field.options.map((o) => o.value).join(", ")}`);
  }
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
      const { ctx } = request.server;
      const { db } = ctx.database;
      const job = await jobFromPath(request);
      const now = ctx.clock.now();
      if (job.phase === "waiting" && job.question_expires_at !== null && job.question_expires_at <= now) {
        for (const id of await expireQuestions(db, now)) ctx.link.notify(id);
        throw new TesseraError(TesseraApiCode.JobNotWaiting, {
          message: `job ${job.id}'s question expired (TwofaTimeout)`,
        });
      }
      if (job.phase !== "waiting" || job.question === null)
        throw new TesseraError(TesseraApiCode.JobNotWaiting, {
          message: `job ${job.id} is not waiting for a second factor`,
        });
      checkAnswers(JSON.parse(job.question) as SecondFactorField[], request.body.twofa);
      const applied = await transition(
        db,
        job.id,
        { phase: "waiting" },
        {
          phase: "queued",
          step: "answer",
          run_after: now,
          answer_enc: sealJson(ctx.keys, jobAnswer, job.id, request.body.twofa),
          question: null,
          question_expires_at: null,
        },
        [{ code: CredentialStatus.TokenReceived }],
        now,
      );
      if (!applied)
        throw new TesseraError(TesseraApiCode.JobNotWaiting, {
          message: `job ${job.id} is not waiting for a second factor`,
        });
      ctx.link.notify(job.id);
      reply.code(202);
      return statusOf(request, (await findJob(db, job.id)) ?? job);
    },
  );

  app.get<{ Querystring: { credential?: string } }>(
    "/jobs",
    {
      schema: {
        querystring: {
          type: "object",
          properties: { credential: { type: "string", maxLength: 64 } },
          additionalProperties: false,
        },
        response: { 200: okResponse({ jobs: { type: "array", items: jobSchema } }) },
      },
    },
    async (request) => {
      let query = request.server.ctx.database.db
        .selectFrom("link_jobs")
        .selectAll()
        .where("tenant_id", "=", request.tenant.id);
      if (request.query.credential !== undefined)
        query = query.where("credential_id", "=", request.query.credential);
      const rows = await query.orderBy("created_at", "desc").limit(200).execute();
      return success({ jobs: rows.map(jobView) });
    },
  );
};
