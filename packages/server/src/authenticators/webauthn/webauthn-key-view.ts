import { formatRfc3339 } from "../../app/rfc3339-time.ts";
import { time, timestamp } from "../../app/route-schemas.ts";
import type { WebauthnCredentialsTable } from "../../storage/schema.ts";

/**
 * A security key or passkey as the API shows it (never its public key material beyond what
 * identifies it).
 */
export interface WebAuthnKeyView {
  readonly serial: string;
  readonly credentialId: string;
  readonly name: string;
  readonly aaguid: string;
  readonly attestationFormat: string;
  /** The credential may be synced to other devices (a passkey). */
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly transports: readonly string[];
  readonly legacyU2f: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly cloneSuspected: boolean;
  /** The authenticators row is enabled (disabled keys are kept but refused at sign-in). */
  readonly enabled?: boolean;
  /** The key has verified its user (PIN or biometric): at registration or at a sign-in since. */
  readonly userVerified?: boolean;
}

/** What the view is made of: the credential row with its authenticators row's serial and state. */
export type KeyRow = Pick<
  WebauthnCredentialsTable,
  | "credential_id"
  | "name"
  | "aaguid"
  | "attestation_format"
  | "backup_eligible"
  | "backed_up"
  | "transports"
  | "u2f_app_id"
  | "created_at"
  | "last_used_at"
  | "clone_suspected_at"
  | "user_verified"
> & { readonly serial: string; readonly enabled: number };

const parseTransports = (text: string): string[] => {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
};

export function keyView(row: KeyRow): WebAuthnKeyView {
  return {
    serial: row.serial,
    credentialId: row.credential_id,
    name: row.name,
    aaguid: row.aaguid,
    attestationFormat: row.attestation_format,
    backupEligible: Number(row.backup_eligible) === 1,
    backedUp: Number(row.backed_up) === 1,
    transports: parseTransports(row.transports),
    legacyU2f: row.u2f_app_id !== null,
    createdAt: formatRfc3339(Number(row.created_at)),
    lastUsedAt: row.last_used_at === null ? null : formatRfc3339(Number(row.last_used_at)),
    cloneSuspected: row.clone_suspected_at !== null,
    enabled: Number(row.enabled) === 1,
    userVerified: Number(row.user_verified) === 1,
  };
}

export const webauthnKeySchema = {
  type: "object",
  properties: {
    serial: { type: "string" },
    credentialId: { type: "string", description: "base64url, as the browser sends it" },
    name: { type: "string" },
    aaguid: { type: "string", description: "the authenticator model (all zeros when not attested)" },
    attestationFormat: { type: "string" },
    backupEligible: {
      type: "boolean",
      description: "the credential may be synced to other devices (a passkey)",
    },
    backedUp: { type: "boolean", description: "the credential is synced (backed up) now" },
    transports: { type: "array", items: { type: "string" } },
    legacyU2f: {
      type: "boolean",
      description: "a U2F key imported with its AppID (signs in through the appid extension)",
    },
    createdAt: time,
    lastUsedAt: timestamp,
    cloneSuspected: {
      type: "boolean",
      description: "its signature counter went backwards once (a possible clone): it is refused from then on",
    },
    enabled: { type: "boolean" },
    userVerified: {
      type: "boolean",
      description: "the key has verified its user (PIN or biometric), at registration or at a sign-in since",
    },
  },
  required: ["serial", "credentialId", "name", "createdAt"],
  additionalProperties: false,
} as const;
