import { randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { asRecord, type ShapeProblem, shapeCheck } from "../app/shape-checks.ts";
import { challengeCreateProblems } from "../out-of-band/challenges/bind-device.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import type { UserRow } from "../users/user-store.ts";
import { insertSealedAuthenticator } from "./authenticator-secret.ts";
import { type AuthenticatorRow, findBySerial } from "./authenticator-store.ts";
import { decodeBase32, encodeBase32 } from "./oath/base32.ts";
import { oathProblems } from "./oath/oath-parameters.ts";
import { authenticatorTypes, challengeDeviceType, oathType, oathTypes } from "./registry.ts";
import { generateSerial, requireSerial, serialProblem } from "./serial.ts";
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
const SECRET_RULE = `must be base32 of at least ${MIN_SECRET_BYTES} bytes`;

const decodedSecret = (text: string) => {
  const decoded = decodeBase32(text);
  return decoded !== undefined && decoded.length >= MIN_SECRET_BYTES ? decoded : undefined;
};

/**
 * Every problem of a creation request's shape at once (app/shape-checks.ts): type, parameters,
 * serial and secret, each with its own code; the user and the serial's uniqueness are looked up
 * only after the shape is fine. A challenge device (sms, voice, email) has its own rules
 * (out-of-band/challenges/bind-device.ts); with the type missing or unknown the common OATH
 * parameters are still checked and reported with it. A push device is enrolled by its app and a
 * security key by a WebAuthn ceremony, never created here.
 */
const creatable = authenticatorTypes
  .filter((t) => t.kind === "oath" || t.kind === "challenge")
  .map((t) => t.type);
const creatableRule = `must be one of ${creatable.join(", ")} (a push device is enrolled by its app, a security key by /v1/webauthn/registration)`;

export const createShape = shapeCheck("authenticator-create", (value) => {
  const body = asRecord(value);
  if (body === undefined) return [];
  const problems: ShapeProblem[] = [];
  const type = oathTypes.find((t) => t.type === body.type);
  const challenge = challengeDeviceType(body.type);
  if (typeof body.type === "string" && type === undefined && challenge === undefined)
    problems.push({ code: ApiReturnCode.DeviceTypeInvalid, path: "type", reason: creatableRule });
  if (challenge !== undefined) problems.push(...challengeCreateProblems(challenge, body));
  else problems.push(...(type?.problems(body) ?? oathProblems(body, true)));
  if (challenge === undefined && body.destination !== undefined)
    problems.push({
      code: ApiReturnCode.InvalidDeviceConfig,
      path: "destination",
      reason: "applies to sms, voice and email devices only",
    });
  if (body.serial !== undefined) {
    const serial = serialProblem(body.serial);
    if (serial !== undefined && typeof body.serial === "string") problems.push({ ...serial, path: "serial" });
  }
  if (typeof body.secret === "string" && decodedSecret(body.secret) === undefined)
    problems.push({ code: ApiReturnCode.InvalidDeviceConfig, path: "secret", reason: SECRET_RULE });
  return problems;
});

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
  const type = oathType(input.type);
  const parameters = type.configure(input);
  const serial =
    input.serial === undefined ? generateSerial(type.type) : requireSerial(input.serial, "body.serial");
  let secret: Buffer;
  if (input.secret === undefined) secret = randomBytes(20);
  else {
    const decoded = decodedSecret(input.secret);
    if (decoded === undefined) {
      throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
        message: `secret ${SECRET_RULE}`,
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
