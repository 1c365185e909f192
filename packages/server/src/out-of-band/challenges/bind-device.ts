import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import type { ShapeProblem } from "../../app/shape-checks.ts";
import { insertSealedAuthenticator } from "../../authenticators/authenticator-secret.ts";
import {
  type AuthenticatorRow,
  deleteAuthenticator,
  findBySerial,
} from "../../authenticators/authenticator-store.ts";
import type { ChallengeDeviceType } from "../../authenticators/authenticator-type.ts";
import { challengeDeviceType } from "../../authenticators/registry.ts";
import { generateSerial, requireSerial } from "../../authenticators/serial.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import type { UserRow } from "../../users/user-store.ts";
import { requireAllowedCountry } from "../pumping/challenge-countries.ts";
import { issueChallenge, type SentChallenge } from "./challenge-operations.ts";
import { checkChallengeCode } from "./verify-challenge.ts";

/** Where the request came from and how it is answered: what a send needs beyond the device. */
export interface SendContext {
  readonly sourceIp: string;
  readonly locale: string;
  readonly reply?: FastifyReply;
}

const oathOnly = ["secret", "algorithm", "period"] as const;

/**
 * Every problem of a request creating a challenge device (InvalidDeviceConfig): the destination is
 * required and must be one (E.164 or an e-mail address), the OATH parameters do not apply (the
 * server makes and sends the codes), digits is 6 or 8, and the device is bound to a user.
 */
export function challengeCreateProblems(
  type: ChallengeDeviceType,
  body: Record<string, unknown>,
): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const invalid = (path: string, reason: string) =>
    problems.push({ code: ApiReturnCode.InvalidDeviceConfig, path, reason });
  if (body.destination === undefined)
    invalid("destination", `is required for a ${type.type} device: ${destinationRule(type)}`);
  else if (typeof body.destination === "string") {
    try {
      type.normalise(body.destination, "destination");
    } catch (error) {
      if (!TesseraError.is(error)) throw error;
      invalid("destination", error.message.replace(/^destination /, ""));
    }
  }
  for (const name of oathOnly)
    if (body[name] !== undefined)
      invalid(name, `does not apply to a ${type.type} device: the server makes its codes and sends them`);
  if (typeof body.digits === "number" && body.digits !== 6 && body.digits !== 8)
    invalid("digits", "must be 6 or 8");
  if (body.username === undefined)
    invalid(
      "username",
      `is required: a ${type.type} device is bound to the user whose ${type.destination} it is`,
    );
  return problems;
}

const destinationRule = (type: ChallengeDeviceType) =>
  type.destination === "phone" ? "a phone number in E.164 form, such as +14155552671" : "an e-mail address";

/**
 * Binds a destination to a user as a new, not yet activated device and sends it its verification
 * code. Creation is all or nothing: when the code cannot be sent (transport, sending limits), the
 * device is removed again and the refusal answered, so a retry starts clean.
 */
export async function bindChallengeDevice(
  ctx: ServerContext,
  tenant: Tenant,
  user: UserRow,
  input: { type: string; destination?: string; serial?: string; digits?: number; maxUses?: number },
  send: SendContext,
): Promise<{ row: AuthenticatorRow; challenge: SentChallenge }> {
  const type = challengeDeviceType(input.type) as ChallengeDeviceType;
  const destination = type.normalise(input.destination, "body.destination");
  // A number in a country the tenant sends no codes to could never be verified: refused up front.
  if (type.destination === "phone") requireAllowedCountry(tenant, destination, "body.destination");
  const serial =
    input.serial === undefined ? generateSerial(type.type) : requireSerial(input.serial, "body.serial");
  const existing = await findBySerial(ctx.database.db, serial);
  const taken = (code: number) =>
    new TesseraError(code, { message: `serial ${serial} is taken`, field: "body.serial" });
  if (existing !== undefined)
    throw taken(
      existing.tenant_id === tenant.id
        ? ApiReturnCode.DeviceInUse
        : ApiReturnCode.DeviceAssignedToDifferentPartner,
    );
  const now = ctx.clock.now();
  const row = await insertSealedAuthenticator(
    ctx,
    {
      tenant_id: tenant.id,
      serial,
      type: type.type,
      user_id: user.id,
      activated: 0,
      algorithm: "none",
      digits: input.digits ?? 6,
      period: null,
      position: 0,
      max_uses: input.maxUses ?? null,
    },
    Buffer.from(destination, "utf8"),
    now,
  );
  if (row === undefined) throw taken(ApiReturnCode.DeviceInUse);
  try {
    const challenge = await issueChallenge(ctx, {
      tenant,
      user,
      device: row,
      purpose: "verification",
      ...send,
    });
    return { row, challenge };
  } catch (error) {
    await deleteAuthenticator(ctx.database.db, row.id);
    throw error;
  }
}

/** Sends a new verification code to a device not verified yet; the previous one stops counting. */
export async function resendVerification(
  ctx: ServerContext,
  tenant: Tenant,
  device: AuthenticatorRow,
  send: SendContext & { readonly method?: string | undefined },
): Promise<SentChallenge> {
  refuseVerified(device);
  const user = await holder(ctx, device);
  return issueChallenge(ctx, { tenant, user, device, purpose: "verification", ...send });
}

/**
 * Activates a challenge device with the code its verification sent (POST .../activate {otp,
 * challengeId}): the same checks, lockout and single use as a sign-in code (verify-challenge.ts),
 * for a verification challenge of this very device only.
 */
export async function activateChallengeDevice(
  ctx: ServerContext,
  tenant: Tenant,
  device: AuthenticatorRow,
  body: { otp?: string; otp1?: string; otp2?: string; challengeId?: string },
): Promise<AuthenticatorRow> {
  const missing = body.challengeId === undefined ? "challengeId" : body.otp === undefined ? "otp" : undefined;
  const extra = body.otp1 !== undefined ? "otp1" : body.otp2 !== undefined ? "otp2" : undefined;
  const wrong = missing ?? extra;
  if (wrong !== undefined)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `body.${wrong}: a ${device.type} device is activated with {"otp", "challengeId"}: the code sent to it and the id of the challenge that sent it`,
      field: `body.${wrong}`,
    });
  refuseVerified(device);
  const user = await holder(ctx, device);
  const challengeId = body.challengeId as string;
  const challenge = await ctx.database.db
    .selectFrom("challenge_codes")
    .select("authenticator_id")
    .where("id", "=", challengeId)
    .executeTakeFirst();
  // A verification code of another device of the same user must not activate this one.
  if (challenge !== undefined && challenge.authenticator_id !== device.id)
    throw new TesseraError(ApiReturnCode.OTPInvalid, {
      message: `challenge ${challengeId} was not sent to device ${device.serial}`,
      field: "body.challengeId",
    });
  return checkChallengeCode(ctx, {
    tenant,
    user,
    challengeId,
    otp: body.otp as string,
    purpose: "verification",
  });
}

function refuseVerified(device: AuthenticatorRow): void {
  if (device.activated === 1)
    throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
      message: `device ${device.serial} is already verified; sign-in codes are sent with POST /v1/auth/challenge`,
    });
}

/** The user the device is bound to, who must be able to sign in (as for any code). */
async function holder(ctx: ServerContext, device: AuthenticatorRow): Promise<UserRow> {
  const user =
    device.user_id === null
      ? undefined
      : await ctx.database.db
          .selectFrom("users")
          .selectAll()
          .where("id", "=", device.user_id)
          .where("tenant_id", "=", device.tenant_id)
          .executeTakeFirst();
  if (user === undefined)
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: `device ${device.serial} is not assigned to a user`,
    });
  const refused = signInRefusal(user, ctx.clock.now());
  if (refused !== undefined) throw new TesseraError(refused.code, { message: refused.message });
  return user;
}
