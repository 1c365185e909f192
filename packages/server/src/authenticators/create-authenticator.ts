import { randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import type { UserRow } from "../users/user-store.ts";
import { insertSealedAuthenticator } from "./authenticator-secret.ts";
import { type AuthenticatorRow, findBySerial } from "./authenticator-store.ts";
import { decodeBase32, encodeBase32 } from "./oath/base32.ts";
import { authenticatorType } from "./registry.ts";
import { generateSerial, requireSerial } from "./serial.ts";
import { stateOf } from "./validate-otp.ts";

export interface CreateRequest {
  type: string;
  serial?: string;
  secret?: string;
  algorithm?: string;
  digits?: number;
  period?: number;
  maxUses?: number;
}

/** Secrets shorter than 128 bits are refused (RFC 4226, requirement R6). */
const MIN_SECRET_BYTES = 16;

/**
 * Creates a token for the API and the CLI alike. An imported secret is already in the device, so
 * the token starts activated; a generated one is returned once (as a provisioning URI and in base32)
 * and must be activated with codes from the app before it counts.
 */
export async function createAuthenticator(
  ctx: ServerContext,
  tenant: Tenant,
  input: CreateRequest,
  user: UserRow | undefined,
): Promise<{ row: AuthenticatorRow; provisioningUri?: string; secret?: string }> {
  const type = authenticatorType(input.type);
  const parameters = type.configure(input);
  const serial =
    input.serial === undefined ? generateSerial(type.type) : requireSerial(input.serial, "body.serial");
  let secret: Buffer;
  if (input.secret === undefined) secret = randomBytes(20);
  else {
    const decoded = decodeBase32(input.secret);
    if (decoded === undefined || decoded.length < MIN_SECRET_BYTES) {
      throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
        message: `secret must be base32 of at least ${MIN_SECRET_BYTES} bytes`,
        field: "body.secret",
      });
    }
    secret = decoded;
  }
  const existing = await findBySerial(ctx.database.db, serial);
  if (existing !== undefined) {
    const code =
      existing.tenant_id === tenant.id
        ? ApiReturnCode.DeviceInUse
        : ApiReturnCode.DeviceAssignedToDifferentPartner;
    throw new TesseraError(code, { message: `serial ${serial} is taken`, field: "body.serial" });
  }
  const now = ctx.clock.now();
  const row = await insertSealedAuthenticator(
    ctx,
    {
      tenant_id: tenant.id,
      serial,
      type: type.type,
      user_id: user?.id ?? null,
      activated: input.secret === undefined ? 0 : 1,
      algorithm: parameters.algorithm,
      digits: parameters.digits,
      period: parameters.period,
      position: type.initialPosition(parameters, now),
      max_uses: input.maxUses ?? null,
    },
    secret,
    now,
  );

  if (row === undefined)
    throw new TesseraError(ApiReturnCode.DeviceInUse, {
      message: `serial ${serial} is taken`,
      field: "body.serial",
    });
  if (input.secret !== undefined) return { row };
  return {
    row,
    // Shown this once, base32 as apps take it typed in (the same value the URI carries).
    secret: encodeBase32(secret),
    provisioningUri: type.provisioningUri(
      secret,
      parameters,
      stateOf(row),
      tenant.name,
      user?.username ?? serial,
    ),
  };
}
