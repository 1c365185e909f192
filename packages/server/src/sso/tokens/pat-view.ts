import { time, timestamp } from "../../app/route-schemas.ts";
import type { PatRow } from "./pat-store.ts";

/** What a token's holder and its user's back end may see of it: never the token or its hash. */
export interface PatView {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly state: "live" | "expired" | "revoked";
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

export function patView(row: PatRow, now: number): PatView {
  return {
    id: row.id,
    clientId: row.client_id,
    name: row.name,
    state: row.revoked_at !== null ? "revoked" : row.expires_at <= now ? "expired" : "live",
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export const patSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    clientId: { type: "string" },
    name: { type: "string" },
    state: { type: "string", enum: ["live", "expired", "revoked"] },
    createdAt: time,
    expiresAt: time,
    revokedAt: timestamp,
    lastUsedAt: timestamp,
  },
} as const;
