import { describe } from "@tessera/codes";
import { time, timestamp } from "../../app/route-schemas.ts";
import type { JobRow, StoredEntry } from "./job-store.ts";

/** How jobs and their timelines look in the API. */
const statusName = (code: number) => describe(code, "credential")?.name ?? String(code);

export function jobLinks(id: string) {
  const base = `/v1/link/jobs/${id}`;
  return { id, statusUrl: `${base}/status`, twofaUrl: `${base}/twofa`, eventsUrl: `${base}/events` };
}

export function jobView(job: JobRow) {
  return {
    ...jobLinks(job.id),
    credentialId: job.credential_id,
    site: job.site_id,
    code: job.status,
    name: statusName(job.status),
    finished: job.phase === "done",
    waiting: job.phase === "waiting",
    attempt: job.attempt,
    createdAt: new Date(job.created_at).toISOString(),
    finishedAt: job.finished_at === null ? null : new Date(job.finished_at).toISOString(),
  };
}

/** A timeline entry: code, name, time, and what the entry carries (twofa, expiresAt, retryAt, counts). */
export function entryView(jobId: string, entry: StoredEntry) {
  return {
    code: entry.code,
    name: statusName(entry.code),
    at: new Date(entry.at).toISOString(),
    ...(entry.detail ?? {}),
    ...(entry.detail?.twofa === undefined ? {} : { twofaUrl: jobLinks(jobId).twofaUrl }),
  };
}

export const jobSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    statusUrl: { type: "string" },
    twofaUrl: { type: "string" },
    eventsUrl: { type: "string" },
    credentialId: { type: "string" },
    site: { type: "string" },
    code: { type: "integer" },
    name: { type: "string" },
    finished: { type: "boolean" },
    waiting: { type: "boolean" },
    attempt: { type: "integer" },
    createdAt: time,
    finishedAt: timestamp,
  },
} as const;

/**
 * A timeline entry: code, name and time always, and what its status carries beside them. Declared
 * so the OpenAPI document shows it; left open so a new status's detail is never dropped.
 */
export const entrySchema = {
  type: "object",
  properties: {
    code: { type: "integer", description: "the credential status (docs/link.md)" },
    name: { type: "string" },
    at: time,
    message: { type: "string", description: "what went wrong, on a status that ends or retries the job" },
    twofa: {
      type: "array",
      items: { type: "object", additionalProperties: true },
      description:
        "Waiting (410): the fields to answer, each {name, type token|choice|image, label, challenge?, options?, image?}",
    },
    expiresAt: { ...time, description: "Waiting (410): when the question expires" },
    twofaUrl: { type: "string", description: "Waiting (410): where to POST the answer" },
    accounts: {
      type: "integer",
      description: "accounts found, on Pending (201) while history loads and at the end",
    },
    transactions: { type: "integer", description: "transactions read" },
    added: { type: "integer", description: "transactions new to Tessera" },
    updated: { type: "integer", description: "transactions the site changed" },
    retryAt: { ...time, description: "PendingRetry (205): when the job runs again" },
    attempt: { type: "integer", description: "PendingRetry (205): the attempt that will run then" },
    reason: { type: "integer", description: "PendingRetry (205): the status that made it retry" },
  },
  required: ["code", "name", "at"],
  additionalProperties: true,
} as const;
