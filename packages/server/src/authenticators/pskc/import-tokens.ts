import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { insertSealedAuthenticator } from "../authenticator-secret.ts";
import { oathType } from "../registry.ts";
import { PskcError, parsePskc } from "./parse-pskc.ts";

const MAX_SECRET_BYTES = 250;

export interface ImportResult {
  readonly imported: number;
  readonly rejected: readonly { readonly serial: string; readonly reason: string }[];
}

/**
 * Imports a PSKC container into the tenant's pool of unassigned tokens: each good KeyPackage
 * becomes an enabled, activated, unassigned token; each bad one is reported with its reason.
 */
export async function importPskc(
  ctx: ServerContext,
  tenant: Tenant,
  xml: string,
  preSharedKey: Buffer | undefined,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImportResult> {
  let entries: ReturnType<typeof parsePskc>;
  try {
    entries = parsePskc(xml, preSharedKey);
  } catch (error) {
    if (!(error instanceof PskcError)) throw error;
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: `PSKC: ${error.message}`,
      field: "body.pskc",
    });
  }
  let imported = 0;
  const rejected: { serial: string; reason: string }[] = [];
  for (const [index, entry] of entries.entries()) {
    onProgress(index, entries.length);
    if (!entry.ok) {
      rejected.push({ serial: entry.serial, reason: entry.reason });
      continue;
    }
    const { token } = entry;
    try {
      const parameters = oathType(token.type).configure({
        algorithm: token.algorithm,
        digits: token.digits,
        period: token.period ?? undefined,
      });
      if (token.secret.length < 16) throw new Error("secret shorter than 128 bits");
      // The API takes at most 400 base32 characters (250 bytes); a file is held to the same.
      if (token.secret.length > MAX_SECRET_BYTES) throw new Error("secret longer than 250 bytes");
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(token.serial))
        throw new Error("serial number is not 1–64 letters, digits, '-', '_' or '.'");
      const now = ctx.clock.now();
      const row = await insertSealedAuthenticator(
        ctx,
        {
          tenant_id: tenant.id,
          serial: token.serial,
          type: token.type,
          algorithm: parameters.algorithm,
          digits: parameters.digits,
          period: parameters.period,
          position: token.type === "hotp" ? token.counter : 0,
          // The seed went from the vendor's file straight into the sealed column: a hardware token.
          seed_revealed: 0,
        },
        token.secret,
        now,
      );
      if (row === undefined) throw new Error("serial number already exists");
      imported += 1;
    } catch (error) {
      rejected.push({
        serial: token.serial,
        reason: TesseraError.is(error) ? error.message : (error as Error).message,
      });
    }
  }
  onProgress(entries.length, entries.length);
  return { imported, rejected };
}
