import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { columnAad } from "../../secrets/encrypted-columns.ts";
import { sealSecret } from "../authenticator-secret.ts";
import type { AuthenticatorRow } from "../authenticator-store.ts";

/**
 * A WebAuthn credential's COSE public key, sealed in its authenticators row's `secret_enc`. The
 * key is public, but sealing binds it to the row (the row id is the associated data): someone who
 * can write the database but not read the master key cannot swap in a key of their own and then
 * sign in as the user. It also rides the same key rotation as every other sealed column.
 */
export const sealCredentialKey = (ctx: ServerContext, id: string, cosePublicKey: Uint8Array): string =>
  sealSecret(ctx, id, Buffer.from(cosePublicKey));

const aad = (id: string) => columnAad({ table: "authenticators", column: "secret_enc" }, id);

/** DeviceInvalid when the row cannot be opened (never the key service's detail). */
export function openCredentialKey(ctx: ServerContext, row: AuthenticatorRow): Uint8Array<ArrayBuffer> {
  try {
    return new Uint8Array(ctx.keys.decrypt(row.secret_enc, aad(row.id)));
  } catch (error) {
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: `security key ${row.serial} cannot be read`,
      cause: error,
    });
  }
}
