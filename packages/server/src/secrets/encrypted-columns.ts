/**
 * Every database column that holds a KeyService ciphertext. Rotation re-encrypts exactly these,
 * and the start-up check looks in them for ciphertexts of keys missing from the keyring. A domain
 * that stores a new kind of secret adds its column here.
 */
export interface EncryptedColumn {
  readonly table: string;
  readonly idColumn: string;
  readonly column: string;
}

export const encryptedColumns: readonly EncryptedColumn[] = [
  { table: "signing_keys", idColumn: "id", column: "private_key_enc" },
  { table: "idempotency_keys", idColumn: "id", column: "response_enc" },
  { table: "authenticators", idColumn: "id", column: "secret_enc" },
  { table: "link_credentials", idColumn: "id", column: "fields_enc" },
  { table: "link_jobs", idColumn: "id", column: "session_enc" },
  { table: "link_jobs", idColumn: "id", column: "answer_enc" },
  { table: "link_webhooks", idColumn: "id", column: "secret_enc" },
  { table: "sso_signing_keys", idColumn: "kid", column: "private_jwk_enc" },
  { table: "challenge_codes", idColumn: "id", column: "code_enc" },
  { table: "push_vapid_keys", idColumn: "id", column: "private_key_enc" },
  { table: "radius_clients", idColumn: "id", column: "secret_enc" },
];

/** The associated data binding a ciphertext to its column and row. */
export function columnAad(column: Pick<EncryptedColumn, "table" | "column">, id: string): string {
  return `${column.table}.${column.column}:${id}`;
}

/**
 * Columns holding keyed hashes (`<version>:<key id>:<mac>`) under a key derived from a master key:
 * a key still used by one cannot be retired, nor be missing at start (look-ups would miss).
 */
export const keyedHashColumns: readonly (EncryptedColumn & { readonly version: string })[] = [
  { table: "link_credentials", idColumn: "id", column: "login_hash", version: "h1" },
];
