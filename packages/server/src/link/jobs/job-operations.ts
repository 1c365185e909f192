import type { DomainOperations } from "../../openapi/operation-docs.ts";
import { exampleJob } from "../credentials/credential-operations.ts";

const jobPath = { "params.id": "the job's id, as in the `job` of POST /v1/link/credentials or …/sync" };

/** A sync that ran to its end, as the Sandbox Bank's `user_good` gives it. */
const finished = [
  { code: 100, name: "Register", at: "2026-01-01T00:00:00.000Z" },
  { code: 101, name: "Starting", at: "2026-01-01T00:00:00.100Z" },
  { code: 102, name: "Running", at: "2026-01-01T00:00:00.900Z" },
  {
    code: 200,
    name: "Finish",
    at: "2026-01-01T00:00:02.000Z",
    accounts: 2,
    transactions: 57,
    added: 57,
    updated: 0,
  },
];
/** A sync the site asked a second factor of, just after the answer (`user_token`). */
const answered = [
  { code: 100, name: "Register", at: "2026-01-01T00:00:00.000Z" },
  { code: 101, name: "Starting", at: "2026-01-01T00:00:00.100Z" },
  {
    code: 410,
    name: "Waiting",
    at: "2026-01-01T00:00:00.800Z",
    twofa: [
      {
        name: "token",
        type: "token",
        label: "Enter the code your security device shows",
        challenge: "Challenge 4711: type 4711 on your device",
      },
    ],
    expiresAt: "2026-01-01T00:05:00.800Z",
    twofaUrl: "/v1/link/jobs/7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e/twofa",
  },
  { code: 103, name: "TokenReceived", at: "2026-01-01T00:00:30.000Z" },
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
      response: {
        job: {
          ...exampleJob,
          code: 200,
          name: "Finish",
          finished: true,
          finishedAt: "2026-01-01T00:00:02.000Z",
        },
        status: finished,
      },
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
          ': tessera job events\n\nid: 1\nevent: status\ndata: {"code":100,"name":"Register","at":"2026-01-01T00:00:00.000Z"}\n\nevent: end\ndata: {"jobId":"7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e"}\n\n',
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
        "Gives the site's second factor (the fields the question asked for) to a job that is waiting for it (202, with the timeline). A job that is not waiting, or whose question expired, is JobNotWaiting, so a repeated answer is refused. A job whose site was switched off by the operator while it waited is SiteDisabled: the answer is not used and the job ends at once (501 Unavailable).",
      errors: [...byPath, "JobNotWaiting", "SiteDisabled"],
      request: { twofa: { token: "123456" } },
      response: { job: { ...exampleJob, code: 103, name: "TokenReceived" }, status: answered },
    },
    "GET /v1/link/jobs": {
      fields: { "querystring.credential": "only this credential's jobs (a credential id)" },
      summary: "List sync jobs",
      description:
        "Lists the tenant's sync jobs, newest first, optionally of one credential. A credential that is not the tenant's (unknown, deleted, or another tenant's) is NotFound, not an empty page. Reads only; safe to repeat.",
      errors: ["NotFound"],
      response: { jobs: [exampleJob], nextCursor: null },
    },
  },
};
