import { randomInt } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyReply } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import {
  type AuthenticatorRow,
  findBySerial,
  findForUser,
} from "../../authenticators/authenticator-store.ts";
import {
  type ChallengeDeviceType,
  type DeliveryMethod,
  deliveryMethods,
} from "../../authenticators/authenticator-type.ts";
import { maskDestination } from "../../authenticators/challenge-destination.ts";
import { challengeDeviceType } from "../../authenticators/registry.ts";
import { lockedError } from "../../authenticators/validate-otp.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import { enforceSendingLimits } from "../pumping/sending-limits.ts";
import { DeliveryFailed, deliverMessage, transportName } from "../transports/deliver-message.ts";
import {
  type ChallengePurpose,
  insertChallenge,
  newChallengeId,
  supersedeOthers,
} from "./challenge-store.ts";
import { openDestination, sealCode } from "./sealed-values.ts";

export { verifyChallengeCode } from "./verify-challenge.ts";

export interface SentChallenge {
  /** Opaque, ≥128 bits: what the caller sends back with the code. */
  readonly challengeId: string;
  readonly serial: string;
  readonly method: DeliveryMethod;
  /** The destination with most of it hidden (+1•••••••671, j•••@example.com). */
  readonly maskedDestination: string;
  readonly expiresAt: number;
}

/**
 * Sends a fresh code to one of the user's challenge devices (the one named, else the first usable)
 * and supersedes that device's earlier open challenge. Throws NoChallengeDevicesDefined,
 * DeviceIsNotAChallengeDevice, SendOTPInvalidDeliveryMethod, SMSSendError, EmailSendError, the
 * sending limits' RateLimited.
 */
export async function sendChallenge(
  ctx: ServerContext,
  input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly serial?: string | undefined;
    readonly method?: string | undefined;
    readonly sourceIp: string;
    readonly locale: string;
    readonly reply?: FastifyReply;
  },
): Promise<SentChallenge> {
  requireKnownMethod(input.method);
  const device =
    input.serial === undefined
      ? await firstUsableDevice(ctx, input.user, input.method)
      : await namedDevice(ctx, input.tenant, input.user, input.serial);
  if (device.row.activated !== 1)
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: `device ${device.row.serial} is not verified yet; its first code is sent with POST /v1/authenticators/${device.row.serial}/verification`,
    });
  return issueChallenge(ctx, { ...input, device: device.row, purpose: "sign-in" });
}

/**
 * Sends a code of `purpose` to the device: sending limits first (a refused send costs nothing),
 * then the transport; the code is stored (sealed) only once the transport took it, so a failed
 * send leaves the code sent before it valid. A transport failure is SMSSendError or EmailSendError
 * with the transport's own error as the cause (logged with the 502; it never holds the code).
 */
export async function issueChallenge(
  ctx: ServerContext,
  input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly device: AuthenticatorRow;
    readonly method?: string | undefined;
    readonly purpose: ChallengePurpose;
    readonly sourceIp: string;
    readonly locale: string;
    readonly reply?: FastifyReply;
  },
): Promise<SentChallenge> {
  const { tenant, device } = input;
  const type = challengeDeviceType(device.type) as ChallengeDeviceType;
  const method = methodFor(type, input.method);
  refuseUnusable(device, ctx.clock.now());
  const destination = openDestination(ctx, device);
  const attempt = { tenant, userId: input.user.id, method, destination, sourceIp: input.sourceIp };
  await enforceSendingLimits(ctx, attempt, input.reply);
  const code = String(randomInt(0, 10 ** device.digits)).padStart(device.digits, "0");
  const ttl = tenant.challengeCodeTtlSeconds;
  try {
    await deliverMessage(ctx, {
      tenant,
      method,
      to: destination,
      purpose: input.purpose === "sign-in" ? "sign-in-code" : "device-verification",
      locale: input.locale,
      code,
      expiresInMinutes: Math.ceil(ttl / 60),
    });
  } catch (error) {
    if (!(error instanceof DeliveryFailed)) throw error;
    // With no transport configured a retry can never succeed: say which setting the operator sets.
    const missing =
      method === "email"
        ? ctx.config.smtp.host === undefined
          ? "smtp.host"
          : undefined
        : transportName(ctx, method) === "none"
          ? `outOfBand.${method}Transport`
          : undefined;
    const next =
      missing === undefined
        ? "try again later"
        : `this server has no ${method} transport (the operator sets ${missing})`;
    throw new TesseraError(method === "email" ? ApiReturnCode.EmailSendError : ApiReturnCode.SMSSendError, {
      message: `the code could not be sent by ${method}; nothing was changed, ${next}`,
      cause: error,
    });
  }
  const now = ctx.clock.now();
  const id = newChallengeId();
  const row = {
    id,
    tenant_id: tenant.id,
    user_id: input.user.id,
    authenticator_id: device.id,
    method,
    purpose: input.purpose,
    code_enc: sealCode(ctx, id, code),
    created_at: now,
    expires_at: now + ttl * 1000,
    used_at: null,
    superseded_at: null,
  };
  await insertChallenge(ctx.database.db, row);
  await supersedeOthers(ctx.database.db, row);
  return {
    challengeId: id,
    serial: device.serial,
    method,
    maskedDestination: maskDestination(destination),
    expiresAt: row.expires_at,
  };
}

/** The device's destination masked, for lists and pages that offer a choice of devices. */
export function maskedDestinationOf(ctx: ServerContext, device: AuthenticatorRow): string {
  return maskDestination(openDestination(ctx, device));
}

const methodRule = `must be one of ${deliveryMethods.join(", ")}`;

function requireKnownMethod(method: string | undefined): void {
  if (method !== undefined && !(deliveryMethods as readonly string[]).includes(method))
    throw new TesseraError(ApiReturnCode.SendOTPInvalidDeliveryMethod, {
      message: `method ${methodRule}`,
      field: "body.method",
    });
}

function methodFor(type: ChallengeDeviceType, method: string | undefined): DeliveryMethod {
  requireKnownMethod(method);
  const chosen = method ?? type.methods[0];
  const known = type.methods.find((m) => m === chosen);
  if (known === undefined)
    throw new TesseraError(ApiReturnCode.SendOTPInvalidDeliveryMethod, {
      message: `a ${type.type} device takes codes by ${type.methods.join(" or ")}, not ${chosen}`,
      field: "body.method",
    });
  return known;
}

/** What refuses a send to a device before anything is sent (a locked device is sent nothing). */
function refuseUnusable(row: AuthenticatorRow, now: number): void {
  if (row.enabled !== 1)
    throw new TesseraError(ApiReturnCode.DeviceDiabled, { message: `device ${row.serial} is disabled` });
  if (row.locked_until !== null && row.locked_until > now) throw lockedError(row, row.locked_until);
  if (row.max_uses !== null && row.uses >= row.max_uses)
    throw new TesseraError(ApiReturnCode.MaximumCardUsesExceeded, {
      message: `device ${row.serial} has no uses left`,
    });
}

type Found = { row: AuthenticatorRow; type: ChallengeDeviceType };

async function namedDevice(
  ctx: ServerContext,
  tenant: Tenant,
  user: UserRow,
  serial: string,
): Promise<Found> {
  const row = await findBySerial(ctx.database.db, serial);
  if (row === undefined || row.tenant_id !== tenant.id)
    throw new TesseraError(ApiReturnCode.DeviceNotFound, {
      message: `no device ${serial}`,
      field: "body.serial",
    });
  if (row.user_id !== user.id)
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: `device ${serial} is not assigned to this user`,
    });
  const type = challengeDeviceType(row.type);
  if (type === undefined)
    throw new TesseraError(ApiReturnCode.DeviceIsNotAChallengeDevice, {
      message: `${serial} is a ${row.type} authenticator: it takes no sent codes`,
      field: "body.serial",
    });
  return { row, type };
}

/**
 * The user's first verified, enabled challenge device (that takes `method`, when one is asked
 * for), preferring one that is not locked: a locked first device must not stop a user who has
 * another. With every candidate locked, the first one's lock is the answer.
 */
async function firstUsableDevice(
  ctx: ServerContext,
  user: UserRow,
  method: string | undefined,
): Promise<Found> {
  const usable = (await findForUser(ctx.database.db, user.id)).flatMap((row) => {
    const type = challengeDeviceType(row.type);
    return type !== undefined && row.enabled === 1 && row.activated === 1 ? [{ row, type }] : [];
  });
  const now = ctx.clock.now();
  const unlocked = (d: Found) => d.row.locked_until === null || d.row.locked_until <= now;
  usable.sort((a, b) => Number(unlocked(b)) - Number(unlocked(a)));
  const [first] = usable;
  if (first === undefined)
    throw new TesseraError(ApiReturnCode.NoChallengeDevicesDefined, {
      message:
        "the user has no verified, enabled phone or e-mail device; bind one with POST /v1/authenticators {type, username, destination}",
    });
  return usable.find((d) => method !== undefined && d.type.methods.some((m) => m === method)) ?? first;
}
