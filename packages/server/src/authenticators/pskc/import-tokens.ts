import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { insertSealedAuthenticator } from "../authenticator-secret.ts";
import { oathType } from "../registry.ts";
import { PskcError, type PskcToken, parsePskc } from "./parse-pskc.ts";
import type { PskcSecrets } from "./pskc-container.ts";

const MAX_SECRET_BYTES = 250;

export interface ImportResult {
  readonly imported: number;
  readonly rejected: readonly { readonly serial: string; readonly reason: string }[];
  readonly signature: "none" | "not verified";
}

export interface ImportOptions extends PskcSecrets {
  /** Import keys past their ExpiryDate (a vendor's dates can be wrong); refused by default. */
  readonly allowExpired?: boolean | undefined;
}

const refused = (message: string) =>
  new TesseraError(ApiReturnCode.InvalidDeviceConfig, { message: `PSKC: ${message}`, field: "body.pskc" });

/**
 * Imports a PSKC container into the tenant's pool of unassigned tokens: each good KeyPackage
 * becomes an enabled, activated, unassigned token; each bad one is reported with its reason.
 */
export async function importPskc(
  ctx: ServerContext,
  tenant: Tenant,
  xml: string,
  options: ImportOptions,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImportResult> {
  let document: Awaited<ReturnType<typeof parsePskc>>;
  try {
    document = await parsePskc(xml, options);
  } catch (error) {
    if (!(error instanceof PskcError)) throw error;
    throw refused(error.message);
  }
  const { entries } = document;
  if (entries.length === 0) throw refused("the file has no KeyPackage: nothing to import");
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
      checkExpiry(token, ctx.clock.now(), options.allowExpired === true);
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
          drift: token.type === "totp" ? token.drift : 0,
          max_uses: token.maxUses,
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
  if (imported === 0) {
    const reasons = rejected.slice(0, 5).map((r) => `${r.serial}: ${r.reason}`);
    throw refused(`nothing imported (${reasons.join("; ")}${rejected.length > 5 ? "; …" : ""})`);
  }
  return { imported, rejected, signature: document.signature };
}

/** A vendor's dates can be wrong: the operator may import such keys anyway (allowExpired). */
function checkExpiry(token: PskcToken, now: number, allowExpired: boolean): void {
  if (allowExpired) return;
  if (token.expires !== null && token.expires <= now)
    throw new Error(`expired on ${new Date(token.expires).toISOString()} (allowExpired imports it anyway)`);
  if (token.start !== null && token.start > now)
    throw new Error(
      `not valid before ${new Date(token.start).toISOString()} (allowExpired imports it anyway)`,
    );
}
