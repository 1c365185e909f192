import type { DomainOperations } from "../../openapi/operation-docs.ts";
import { exampleJob } from "../credentials/credential-operations.ts";

const jobPath = { "params.id": "the job's id, as in the `job` of POST /v1/link/credentials or …/sync" };

const status = [
  { seq: 1, code: 100, name: "Register", at: "2026-01-01T00:00:00.000Z" },
  { seq: 2, code: 201, name: "Pending", at: "2026-01-01T00:00:01.000Z" },
];
const byPath = ["NotFound"] as const;

/** Documentation of link/jobs/job-routes.ts. */
export const jobOperations: DomainOperations = {
  tag: "link",
  operations: {
    "GET /v1/link/jobs/:id/status": {
      fields: jobPath,
      summary: "Read a sync job's status timeline",
      description:
        "Returns the job and its timeline of credential statuses (docs/link.md), oldest first; a job waiting for a second factor says so with its question. Reads only; safe to repeat.",
      errors: [...byPath],
      response: { job: exampleJob, status },
    },
    "GET /v1/link/jobs/:id/events": {
      fields: jobPath,
      summary: "Follow a sync job as server-sent events",
      description:
        "Streams each new status of the job as an `event: status` with its `id` (reconnect with Last-Event-ID to miss nothing), heartbeats while nothing happens, then `event: end` when the job ends. The stream is recorded in the audit trail before it opens (DatabaseError if that fails). Reads only.",
      errors: [...byPath],
      content: {
        mediaType: "text/event-stream",
        description: "Server-sent events: one `status` event per timeline entry, then `end`.",
        example:
          ': tessera job events\n\nid: 1\nevent: status\ndata: {"seq":1,"code":100,"name":"Register"}\n\nevent: end\ndata: {"jobId":"7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e"}\n\n',
      },
    },
    "POST /v1/link/jobs/:id/twofa": {
      fields: {
        ...jobPath,
        "body.twofa":
          "the answers to the job's open question, by field name (the `fields[].name` the Waiting status asked for): exactly those fields, each a string of at most 200 characters",
      },
      summary: "Answer a sync job's second-factor question",
      description:
        "Gives the site's second factor (the fields the question asked for) to a job that is waiting for it (202, with the timeline). A job that is not waiting, or whose question expired, is JobNotWaiting, so a repeated answer is refused.",
      errors: [...byPath, "JobNotWaiting"],
      request: { twofa: { code: "123456" } },
      response: { job: { ...exampleJob, waiting: false }, status },
    },
    "GET /v1/link/jobs": {
      fields: { "querystring.credential": "only this credential's jobs (a credential id)" },
      summary: "List sync jobs",
      description:
        "Lists the tenant's sync jobs, newest first, optionally of one credential. Reads only; safe to repeat.",
      errors: [],
      response: { jobs: [exampleJob] },
    },
  },
};
