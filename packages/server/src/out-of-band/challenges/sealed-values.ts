import type { ServerContext } from "../../app/server-context.ts";
import { openSecret } from "../../authenticators/authenticator-secret.ts";
import type { AuthenticatorRow } from "../../authenticators/authenticator-store.ts";
import { sameCode } from "../../authenticators/oath/same-code.ts";
import { columnAad } from "../../secrets/encrypted-columns.ts";

/**
 * A challenge device keeps its destination where an OATH token keeps its seed (`secret_enc`,
 * sealed to the row, rotated with the master key), so a database dump shows no phone numbers or
 * addresses.
 */
export const openDestination = (ctx: ServerContext, device: AuthenticatorRow): string =>
  openSecret(ctx, device).export().toString("utf8");

const aad = (id: string) => columnAad({ table: "challenge_codes", column: "code_enc" }, id);

/** A sent code, sealed to its challenge row: never stored plain, useless copied to another row. */
export const sealCode = (ctx: ServerContext, id: string, code: string): string =>
  ctx.keys.encrypt(code, aad(id));

/** Whether `otp` is the challenge's code, compared in constant time. */
export const isSentCode = (ctx: ServerContext, id: string, sealed: string, otp: string): boolean =>
  sameCode(ctx.keys.decrypt(sealed, aad(id)).toString("utf8"), otp);
