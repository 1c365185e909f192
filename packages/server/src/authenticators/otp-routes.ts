import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { body, okResponse } from "../app/route-schemas.ts";
import { verifyChallengeCode } from "../out-of-band/challenges/verify-challenge.ts";
import { verifyPassword } from "../passwords/verify-password.ts";
import { appField, applyPolicies, policyOutcomesSchema, requireApp } from "../policies/auth-policy.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { usernameOf } from "../users/user-from-request.ts";
import { findUser, type UserRow } from "../users/user-store.ts";
import { userSchema, userView } from "../users/user-view.ts";
import { requireWellFormed, usernameInput } from "../users/username.ts";
import { type AuthenticatorRow, findBySerial, findForUser } from "./authenticator-store.ts";
import { challengeDeviceType, oathTypes } from "./registry.ts";
import { requireSerial } from "./serial.ts";
import { candidatesFor, validateOtp } from "./validate-otp.ts";

/** A user who can sign in: exists, enabled, not expired. */
export async function signInUser(request: FastifyRequest, raw: unknown): Promise<UserRow> {
  const username = requireWellFormed(raw, "body.username");
  request.auditSubject = `user:${username}`;
  const user = await findUser(request.server.ctx.database.db, request.tenant.id, username);
  const now = request.server.ctx.clock.now();
  if (user === undefined)
    throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
      message: `no user ${username}`,
      field: "body.username",
    });
  const refusal = signInRefusal(user, now);
  if (refusal !== undefined) throw new TesseraError(refusal.code, { message: refusal.message });
  return user;
}

const otpField = { type: "string", maxLength: 20 } as const;
const challengeIdField = {
  type: "string",
  maxLength: 64,
  description: "the id POST /v1/auth/challenge answered: the code is checked against that sent code only",
} as const;

/**
 * A code without a challenge id is an OATH code; a user (or a named device) whose codes are sent
 * must name the challenge that sent it, and the refusal says how.
 */
function needsChallenge(rows: readonly AuthenticatorRow[]): void {
  const sent = rows.find((row) => row.enabled === 1 && challengeDeviceType(row.type) !== undefined);
  if (sent !== undefined && !rows.some((row) => oathTypes.some((t) => t.type === row.type)))
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `body.challengeId is required: device ${sent.serial} is sent its codes; send one with POST /v1/auth/challenge and give the challengeId it answers`,
      field: "body.challengeId",
    });
}

export const otpRoutes: FastifyPluginAsync = async (app) => {
  app.post<{
    Body: { username?: string; serial?: string; otp: string; app?: string; challengeId?: string };
  }>(
    "/auth/otp",
    {
      schema: {
        body: body(
          {
            username: usernameInput,
            serial: { type: "string", maxLength: 200 },
            otp: otpField,
            app: appField,
            challengeId: challengeIdField,
          },
          ["otp"],
        ),
        response: {
          200: okResponse({
            serial: { type: "string" },
            username: { type: ["string", "null"] },
            policy: policyOutcomesSchema,
          }),
        },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      const { username, serial, otp, challengeId } = request.body;
      if (challengeId !== undefined) return challengeAnswer(request, challengeId);
      if (username === undefined && serial === undefined) {
        throw new TesseraError(ApiReturnCode.DeviceNotSpecified, {
          message: "name a username, a serial, or both",
        });
      }
      await requireApp(request, request.body.app);
      const user = username === undefined ? undefined : await signInUser(request, username);
      let token: Awaited<ReturnType<typeof findBySerial>>;
      if (serial !== undefined) {
        const wanted = requireSerial(serial, "body.serial");
        request.auditSubject ??= `authenticator:${wanted}`;
        token = await findBySerial(ctx.database.db, wanted);
        if (token === undefined || token.tenant_id !== request.tenant.id) {
          throw new TesseraError(ApiReturnCode.DeviceNotFound, {
            message: `no token ${wanted}`,
            field: "body.serial",
          });
        }
      }
      const candidates = await candidatesFor(ctx, user, token);
      needsChallenge(candidates);
      const accepted = await validateOtp(ctx, request.tenant, candidates, otp);
      // Named by serial alone, the token still has a holder: the caller learns whose code it was.
      const holder = user?.username ?? (await usernameOf(request, accepted.user_id));
      const policy = await applyPolicies(request, request.body.app, accepted.user_id ?? undefined);
      return success({ serial: accepted.serial, username: holder, ...policy.payload }, policy.outcome);
    },
  );

  app.post<{
    Body: { username: string; password: string; otp?: string; app?: string; challengeId?: string };
  }>(
    "/auth/login",
    {
      schema: {
        body: body(
          {
            username: usernameInput,
            password: { type: "string", minLength: 1, maxLength: 1024 },
            otp: otpField,
            app: appField,
            challengeId: challengeIdField,
          },
          ["username", "password"],
        ),
        response: { 200: okResponse({ user: userSchema, policy: policyOutcomesSchema }) },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      request.auditSubject = `user:${String(request.body.username).toLowerCase()}`;
      await requireApp(request, request.body.app);
      const user = await verifyPassword(ctx, request.tenant, request.body.username, request.body.password);
      // Tokens still waiting for activation do not count yet: a user in the middle of enrolment
      // signs in with the password until the new token is shown to work.
      const tokens = (await findForUser(ctx.database.db, user.id)).filter(
        (t) => t.enabled === 1 && t.activated === 1,
      );
      if (tokens.length === 0) return signedIn(request, user);
      const otp = request.body.otp ?? "";
      if (otp === "") {
        throw new TesseraError(ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass, {
          message: "this user has a second factor and no code was given",
        });
      }
      const { challengeId } = request.body;
      if (challengeId === undefined) needsChallenge(tokens);
      try {
        if (challengeId === undefined) await validateOtp(ctx, request.tenant, tokens, otp);
        else await verifyChallengeCode(ctx, { tenant: request.tenant, user, challengeId, otp });
      } catch (error) {
        // The password was right; any refusal of the code itself is one code for the caller, so a
        // login page cannot be used to probe the token's state. Lock states keep their own code.
        if (TesseraError.is(error) && !lockCodes.has(error.code)) {
          throw new TesseraError(ApiReturnCode.PartnerUserLoginFailedInvalidOTP, {
            message: "the one-time code was not accepted",
            cause: error,
          });
        }
        throw error;
      }
      return signedIn(request, user);
    },
  );
};

/** A login whose credentials were right: the policies of the named app decide (auth-policy.ts). */
async function signedIn(request: FastifyRequest<{ Body: { app?: string } }>, user: UserRow) {
  const policy = await applyPolicies(request, request.body.app, user.id);
  return success({ user: userView(user), ...policy.payload }, policy.outcome);
}

// An expired sent code keeps its own code too: the remedy (send a new one) differs from a wrong code.
const lockCodes = new Set<number>([
  ApiReturnCode.MaximumFailedOTPRequestsExceeded,
  ApiReturnCode.UpdateDeviceCounterFailed,
  ApiReturnCode.SendOTPExpired,
]);

/**
 * POST /v1/auth/otp with a challenge id: the code is checked against the code that challenge sent,
 * for the user it was sent to, and nothing else (out-of-band/challenges/verify-challenge.ts).
 */
async function challengeAnswer(
  request: FastifyRequest<{ Body: { username?: string; serial?: string; otp: string; app?: string } }>,
  challengeId: string,
) {
  const { username, serial, otp } = request.body;
  const only = username === undefined ? "username" : serial !== undefined ? "serial" : undefined;
  if (only !== undefined)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message:
        only === "username"
          ? "body.username is required with a challengeId: the code is checked for the user it was sent to"
          : "body.serial does not go with a challengeId: the challenge names the device it was sent to",
      field: `body.${only}`,
    });
  await requireApp(request, request.body.app);
  const user = await signInUser(request, username);
  const device = await verifyChallengeCode(request.server.ctx, {
    tenant: request.tenant,
    user,
    challengeId,
    otp,
  });
  const policy = await applyPolicies(request, request.body.app, user.id);
  return success({ serial: device.serial, username: user.username, ...policy.payload }, policy.outcome);
}
