import { createSecretKey, type KeyObject } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { columnAad } from "../secrets/encrypted-columns.ts";
import {
  type AuthenticatorRow,
  insertAuthenticator,
  newAuthenticatorId,
  newAuthenticatorRow,
} from "./authenticator-store.ts";

const aad = (id: string) => columnAad({ table: "authenticators", column: "secret_enc" }, id);

export const sealSecret = (ctx: ServerContext, id: string, secret: Buffer): string =>
  ctx.keys.encrypt(secret, aad(id));

type NewTokenFields = Omit<Parameters<typeof newAuthenticatorRow>[0], "id" | "secret_enc">;

/**
 * Stores a new token with its seed sealed to the row: the id is chosen first because the
 * ciphertext is bound to it. Undefined when the serial exists already (in any tenant).
 */
export function insertSealedAuthenticator(
  ctx: ServerContext,
  fields: NewTokenFields,
  secret: Buffer,
  now: number,
): Promise<AuthenticatorRow | undefined> {
  const id = newAuthenticatorId();
  return insertAuthenticator(
    ctx.database.db,
    newAuthenticatorRow({ ...fields, id, secret_enc: sealSecret(ctx, id, secret) }, now),
  );
}

/**
 * The token's seed, as a KeyObject for the HMACs of the window search; DeviceInvalid when it
 * cannot be opened (never the key service's detail).
 */
export function openSecret(ctx: ServerContext, row: AuthenticatorRow): KeyObject {
  try {
    return createSecretKey(ctx.keys.decrypt(row.secret_enc, aad(row.id)));
  } catch (error) {
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: "the token's secret cannot be read",
      cause: error,
    });
  }
}
