import type { FastifyReply } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import type { AuthenticatorRow } from "../../authenticators/authenticator-store.ts";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";

export interface SentChallenge {
  /** Opaque, ≥128 bits: what the caller sends back with the code. */
  readonly challengeId: string;
  readonly serial: string;
  readonly method: DeliveryMethod;
  /** The destination with most of it hidden (+44•••••••123, j•••@example.com). */
  readonly maskedDestination: string;
  readonly expiresAt: number;
}

/**
 * Sends a fresh code to one of the user's challenge devices (the one named, else the first usable)
 * and supersedes that device's earlier open challenge. Throws NoChallengeDevicesDefined,
 * DeviceIsNotAChallengeDevice, SendOTPInvalidDeliveryMethod, SMSSendError, EmailSendError, the
 * sending limits' RateLimited. FOUNDATION STUB (issue 14): the challenge-devices part implements it.
 */
export async function sendChallenge(
  _ctx: ServerContext,
  _input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly serial?: string | undefined;
    readonly method?: string | undefined;
    readonly sourceIp: string;
    readonly locale: string;
    readonly reply?: FastifyReply;
  },
): Promise<SentChallenge> {
  throw new Error("sendChallenge is not built yet");
}

/**
 * Checks a code against the challenge that sent it: bound to tenant and user, single use (atomic),
 * SendOTPExpired after the tenant's lifetime, superseded by a resend, wrong guesses counted on the
 * device's lockout. Returns the device. FOUNDATION STUB (issue 14).
 */
export async function verifyChallengeCode(
  _ctx: ServerContext,
  _input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly challengeId: string;
    readonly otp: string;
  },
): Promise<AuthenticatorRow> {
  throw new Error("verifyChallengeCode is not built yet");
}
