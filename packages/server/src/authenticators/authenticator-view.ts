import { time, timestamp } from "../app/route-schemas.ts";
import type { AuthenticatorRow } from "./authenticator-store.ts";

/** The API shape of a token: never its secret. */
export function authenticatorView(row: AuthenticatorRow, username: string | null) {
  return {
    serial: row.serial,
    type: row.type,
    username,
    enabled: row.enabled === 1,
    activated: row.activated === 1,
    algorithm: row.algorithm,
    digits: row.digits,
    period: row.period,
    counter: row.type === "hotp" ? row.position : null,
    drift: row.type === "totp" ? row.drift : null,
    lockedUntil: row.locked_until,
    uses: row.uses,
    maxUses: row.max_uses,
    createdAt: row.created_at,
  };
}

export const authenticatorSchema = {
  type: "object",
  properties: {
    serial: { type: "string" },
    type: { type: "string" },
    username: { type: ["string", "null"] },
    enabled: { type: "boolean" },
    activated: { type: "boolean" },
    algorithm: { type: "string" },
    digits: { type: "integer" },
    period: { type: ["integer", "null"] },
    counter: { type: ["integer", "null"] },
    drift: { type: ["integer", "null"] },
    lockedUntil: timestamp,
    uses: { type: "integer" },
    maxUses: { type: ["integer", "null"] },
    createdAt: time,
  },
} as const;
