import { describe } from "@tessera/codes";
import { time, timestamp } from "../../app/route-schemas.ts";
import type { CredentialRow } from "./credential-store.ts";

/** A credential as the API shows it: never its fields, which only the connector sees. */
export function credentialView(row: CredentialRow, username: string) {
  return {
    id: row.id,
    username,
    site: row.site_id,
    code: row.status,
    name: describe(row.status, "credential")?.name ?? String(row.status),
    lastJobId: row.last_job_id,
    lastSyncAt: row.last_sync_at === null ? null : new Date(row.last_sync_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export const credentialSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    username: { type: "string" },
    site: { type: "string" },
    code: { type: "integer" },
    name: { type: "string" },
    lastJobId: { type: ["string", "null"] },
    lastSyncAt: timestamp,
    createdAt: time,
    updatedAt: time,
  },
} as const;
