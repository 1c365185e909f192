import { columnAad } from "../secrets/encrypted-columns.ts";
import type { KeyService } from "../secrets/key-service.ts";

/**
 * Link's encrypted columns: credential fields, a job's connector session and second-factor
 * answer, webhook secrets. Each ciphertext is bound to its column and row.
 */
type LinkSecretColumn =
  | { table: "link_credentials"; column: "fields_enc" }
  | { table: "link_jobs"; column: "session_enc" | "answer_enc" }
  | { table: "link_webhooks"; column: "secret_enc" };

export const credentialFields = { table: "link_credentials", column: "fields_enc" } as const;
export const jobSession = { table: "link_jobs", column: "session_enc" } as const;
export const jobAnswer = { table: "link_jobs", column: "answer_enc" } as const;
export const webhookSecret = { table: "link_webhooks", column: "secret_enc" } as const;

export function sealJson(keys: KeyService, column: LinkSecretColumn, rowId: string, value: unknown): string {
  return keys.encrypt(JSON.stringify(value), columnAad(column, rowId));
}

export function openJson<T>(keys: KeyService, column: LinkSecretColumn, rowId: string, sealed: string): T {
  return JSON.parse(keys.decrypt(sealed, columnAad(column, rowId)).toString()) as T;
}
