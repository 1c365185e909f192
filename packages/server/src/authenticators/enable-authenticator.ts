import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";
import { type AuthenticatorRow, updateAuthenticator } from "./authenticator-store.ts";

/**
 * Enables a token and clears its lock and failure counters: enabling is also how an administrator
 * unlocks a token. The API route and `tessera token enable` both come here, so they cannot drift.
 */
export function enableAuthenticator(
  db: Kysely<Schema>,
  id: string,
  now: number,
): Promise<AuthenticatorRow | undefined> {
  return updateAuthenticator(
    db,
    id,
    { enabled: 1, failures: 0, lock_count: 0, consecutive_failures: 0, locked_until: null },
    now,
  );
}
