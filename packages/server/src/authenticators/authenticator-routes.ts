import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { body, MAX_INT32, okResponse } from "../app/route-schemas.ts";
import { activateChallengeDevice, bindChallengeDevice } from "../out-of-band/challenges/bind-device.ts";
import { challengeSchema, localeInput } from "../out-of-band/challenges/challenge-routes.ts";
import { userFromRequest, usernameOf } from "../users/user-from-request.ts";
import { usernameInput } from "../users/username.ts";
import { activateAuthenticator, type CodeFields, codesOf } from "./activate-authenticator.ts";
import {
  type AuthenticatorRow,
  assignAuthenticator,
  assignNextFromPool,
  deleteAuthenticator,
  findBySerial,
  unassignAuthenticator,
  updateAuthenticator,
} from "./authenticator-store.ts";
import { authenticatorSchema, authenticatorView } from "./authenticator-view.ts";
import { type CreateRequest, createAuthenticator, createShape } from "./create-authenticator.ts";
import { enableAuthenticator } from "./enable-authenticator.ts";
import { MAX_HOTP_COUNTER } from "./hotp/hotp-type.ts";
import { importPskc } from "./pskc/import-tokens.ts";
import { authenticatorTypeNames, challengeDeviceType, oathType } from "./registry.ts";
import { requireSerial } from "./serial.ts";
import { deleteKey } from "./webauthn/credential-store.ts";

type CreateBody = CreateRequest & { username?: string; destination?: string; locale?: string };
type SerialParams = { Params: { serial: string } };
const serialParam = {
  type: "object",
  properties: { serial: { type: "string", maxLength: 200 } },
  required: ["serial"],
} as const;
const code = { type: "string", maxLength: 20 } as const;
/** Which of these a body must carry depends on the tenant (activationCodes); codesOf checks it. */
const activationBody = (action: "activate" | "resync") =>
  action === "activate"
    ? body({
        otp: {
          ...code,
          description: "the code the app shows, when the tenant activates with one code (default)",
        },
        otp1: { ...code, description: "the first of two consecutive codes, when the tenant asks for two" },
        otp2: { ...code, description: "the code after otp1" },
        challengeId: {
          type: "string",
          maxLength: 64,
          description: "sms, voice and email devices: the challenge that sent the verification code",
        },
      })
    : body({ otp1: code, otp2: { ...code, description: "the code after otp1" } }, ["otp1", "otp2"]);
const tokenResponse = okResponse({ authenticator: authenticatorSchema });
// Wide enough that every value a token type might support reaches its own check (which answers
// InvalidDeviceConfig), narrow enough that no extreme number reaches the code or a column.
const digits = { type: "integer", minimum: 1, maximum: 10 } as const;
const period = { type: "integer", minimum: 1, maximum: 3600 } as const;
// max_uses is a PostgreSQL integer column.
const maxUses = { type: "integer", minimum: 1, maximum: MAX_INT32 } as const;

/** The QR code library is loaded on first use: most server processes never draw one. */
export async function qrDataUrl(uri: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toDataURL(uri);
}

/** The tenant's token named in the path; another tenant's serial is DeviceAssignedToDifferentPartner only where asked. */
export async function tokenFromPath(
  request: FastifyRequest<SerialParams>,
  revealOtherTenant = false,
): Promise<AuthenticatorRow> {
  const serial = requireSerial(request.params.serial, "params.serial");
  request.auditSubject = `authenticator:${serial}`;
  const row = await findBySerial(request.server.ctx.database.db, serial);
  if (row !== undefined && row.tenant_id !== request.tenant.id && revealOtherTenant) {
    throw new TesseraError(ApiReturnCode.DeviceAssignedToDifferentPartner, {
      message: `token ${serial} belongs to another tenant`,
    });
  }
  if (row === undefined || row.tenant_id !== request.tenant.id) {
    throw new TesseraError(ApiReturnCode.DeviceNotFound, {
      message: `no token ${serial}`,
      field: "params.serial",
    });
  }
  return row;
}

/**
 * A security key or passkey is bound to the user it was registered for: the authenticator keeps
 * that user's handle and its credential row names the user, so moving its row to another user
 * (or to none) would leave the key signing in its first user under another holder's name.
 */
function requireMovable(row: AuthenticatorRow): void {
  if (row.type === "webauthn")
    throw new TesseraError(ApiReturnCode.OTPTypeInvalid, {
      message: `${row.serial} is a security key, bound to the user it was registered for: it cannot be assigned or unassigned; DELETE /v1/webauthn/keys/${row.serial} removes it`,
      field: "params.serial",
    });
}

export const authenticatorRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: CreateBody }>(
    "/authenticators",
    {
      config: { idempotent: true },
      schema: {
        body: {
          ...body(
            {
              type: { type: "string", maxLength: 40, description: authenticatorTypeNames.join(" | ") },
              serial: { type: "string", maxLength: 200 },
              secret: { type: "string", maxLength: 400, description: "base32; generated when absent" },
              algorithm: { type: "string", maxLength: 20 },
              digits,
              period,
              username: usernameInput,
              maxUses,
              destination: {
                type: "string",
                maxLength: 320,
                description: "sms and voice: the phone number (E.164); email: the address",
              },
              locale: localeInput,
            },
            ["type"],
          ),
          ...createShape,
        },
        response: {
          201: okResponse({
            authenticator: authenticatorSchema,
            provisioningUri: { type: "string" },
            secret: { type: "string", description: "the generated secret in base32, shown once" },
            qrCode: { type: "string" },
            challenge: challengeSchema,
          }),
        },
      },
    },
    async (request, reply) => {
      request.auditSubject = `authenticator:${request.body.serial ?? "new"}`;
      const user =
        request.body.username === undefined
          ? undefined
          : await userFromRequest(request, request.body.username);
      if (challengeDeviceType(request.body.type) !== undefined && user !== undefined) {
        const bound = await bindChallengeDevice(request.server.ctx, request.tenant, user, request.body, {
          sourceIp: request.ip,
          locale: request.body.locale ?? "en",
          reply,
        });
        request.auditSubject = `authenticator:${bound.row.serial}`;
        const authenticator = authenticatorView(bound.row, user.username);
        return reply.code(201).send(success({ authenticator, challenge: bound.challenge }));
      }
      const created = await createAuthenticator(request.server.ctx, request.tenant, request.body, user);
      request.auditSubject = `authenticator:${created.row.serial}`;
      const view = authenticatorView(created.row, user?.username ?? null);
      if (created.provisioningUri === undefined)
        return reply.code(201).send(success({ authenticator: view }));
      return reply.code(201).send(
        success({
          authenticator: view,
          provisioningUri: created.provisioningUri,
          secret: created.secret,
          qrCode: await qrDataUrl(created.provisioningUri),
        }),
      );
    },
  );

  app.post<{ Body: { pskc: string; preSharedKey?: string; password?: string; allowExpired?: boolean } }>(
    "/authenticators/import",
    {
      bodyLimit: 10 * 1024 * 1024,
      schema: {
        body: body(
          {
            pskc: {
              type: "string",
              minLength: 1,
              maxLength: 10_000_000,
              description: "a PSKC (RFC 6030) document",
            },
            preSharedKey: {
              type: "string",
              pattern: "^([0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$",
              description: "hex AES or 3DES key",
            },
            password: {
              type: "string",
              minLength: 1,
              maxLength: 1024,
              description: "the password of a PBKDF2-encrypted file (RFC 6030 §6.2)",
            },
            allowExpired: {
              type: "boolean",
              description: "import keys past their ExpiryDate too (refused by default)",
            },
          },
          ["pskc"],
        ),
        response: {
          200: okResponse({
            imported: { type: "integer" },
            rejected: {
              type: "array",
              items: {
                type: "object",
                properties: { serial: { type: "string" }, reason: { type: "string" } },
              },
            },
            signature: { type: "string", enum: ["none", "not verified"] },
          }),
        },
      },
    },
    async (request) => {
      const key =
        request.body.preSharedKey === undefined ? undefined : Buffer.from(request.body.preSharedKey, "hex");
      request.auditSubject = "authenticators:import";
      const { password, allowExpired } = request.body;
      return success(
        await importPskc(request.server.ctx, request.tenant, request.body.pskc, {
          preSharedKey: key,
          password,
          allowExpired,
        }),
      );
    },
  );

  app.post<{ Body: { username: string; type?: string } }>(
    "/authenticators/assign-next",
    {
      config: { idempotent: true },
      schema: {
        body: body({ username: usernameInput, type: { type: "string", maxLength: 40 } }, ["username"]),
        response: { 200: tokenResponse },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      const user = await userFromRequest(request, request.body.username);
      // The pool holds hardware OATH tokens only: phone, e-mail and push devices are bound to a user.
      const type = request.body.type === undefined ? undefined : oathType(request.body.type).type;
      const row = await assignNextFromPool(
        ctx.database.db,
        request.tenant.id,
        user.id,
        type,
        ctx.clock.now(),
      );
      if (row === undefined)
        throw new TesseraError(ApiReturnCode.NoDevicesAvailable, {
          message: "the pool of unassigned tokens is empty",
        });
      request.auditSubject = `authenticator:${row.serial}`;
      return success({ authenticator: authenticatorView(row, user.username) });
    },
  );

  app.get<SerialParams>(
    "/authenticators/:serial",
    { schema: { params: serialParam, response: { 200: tokenResponse } } },
    async (request) => {
      const row = await tokenFromPath(request);
      return success({ authenticator: authenticatorView(row, await usernameOf(request, row.user_id)) });
    },
  );

  app.patch<SerialParams & { Body: { maxUses?: number | null; counter?: number; period?: number } }>(
    "/authenticators/:serial",
    {
      schema: {
        params: serialParam,
        body: body({
          maxUses: { ...maxUses, type: ["integer", "null"] },
          counter: { type: "integer", minimum: 0, maximum: MAX_HOTP_COUNTER },
          period,
        }),
        response: { 200: tokenResponse },
      },
    },
    async (request) => {
      const row = await tokenFromPath(request);
      const { counter, period, maxUses } = request.body;
      if ((counter !== undefined && row.type !== "hotp") || (period !== undefined && row.type !== "totp")) {
        throw new TesseraError(ApiReturnCode.OTPTypeInvalid, {
          message:
            counter !== undefined
              ? "counter applies to HOTP tokens only"
              : "period applies to TOTP tokens only",
          field: counter !== undefined ? "body.counter" : "body.period",
        });
      }
      // A security key's sign-in (webauthn/) counts no uses: a limit stored for it would not hold.
      if (maxUses !== undefined && row.type === "webauthn")
        throw new TesseraError(ApiReturnCode.OTPTypeInvalid, {
          message: "maxUses does not apply to a security key: its sign-ins are not counted against a limit",
          field: "body.maxUses",
        });
      if (period !== undefined)
        oathType(row.type).configure({ algorithm: row.algorithm, digits: row.digits, period });
      const updated = await updateAuthenticator(
        request.server.ctx.database.db,
        row.id,
        {
          ...(maxUses === undefined ? {} : { max_uses: maxUses }),
          ...(counter === undefined ? {} : { position: counter }),
          ...(period === undefined ? {} : { period, drift: 0, position: 0 }),
        },
        request.server.ctx.clock.now(),
      );
      return success({
        authenticator: authenticatorView(updated ?? row, await usernameOf(request, row.user_id)),
      });
    },
  );

  app.post<SerialParams & { Body: { username: string; force?: boolean } }>(
    "/authenticators/:serial/assign",
    {
      schema: {
        params: serialParam,
        body: body({ username: usernameInput, force: { type: "boolean" } }, ["username"]),
        response: { 200: tokenResponse },
      },
    },
    async (request) => {
      const row = await tokenFromPath(request, true);
      requireMovable(row);
      const user = await userFromRequest(request, request.body.username);
      const ctx = request.server.ctx;
      const assigned = await assignAuthenticator(
        ctx.database.db,
        row.id,
        user.id,
        request.body.force === true,
        ctx.clock.now(),
      );
      if (assigned === undefined) {
        throw new TesseraError(ApiReturnCode.DeviceInUse, {
          message: `token ${row.serial} is assigned to another user; use force to move it`,
        });
      }
      return success({ authenticator: authenticatorView(assigned, user.username) });
    },
  );

  app.post<SerialParams>(
    "/authenticators/:serial/unassign",
    { schema: { params: serialParam, response: { 200: tokenResponse } } },
    async (request) => {
      const row = await tokenFromPath(request);
      requireMovable(row);
      const ctx = request.server.ctx;
      const updated = await unassignAuthenticator(ctx.database.db, row.id, ctx.clock.now());
      return success({ authenticator: authenticatorView(updated ?? { ...row, user_id: null }, null) });
    },
  );

  const change = (path: string, apply: typeof enableAuthenticator) =>
    app.post<SerialParams>(
      path,
      { schema: { params: serialParam, response: { 200: tokenResponse } } },
      async (request) => {
        const row = await tokenFromPath(request);
        const updated = await apply(request.server.ctx.database.db, row.id, request.server.ctx.clock.now());
        const result = updated ?? row;
        return success({
          authenticator: authenticatorView(result, await usernameOf(request, result.user_id)),
        });
      },
    );
  // Enabling is also how an administrator clears a lockout.
  change("/authenticators/:serial/enable", enableAuthenticator);
  change("/authenticators/:serial/disable", (db, id, now) =>
    updateAuthenticator(db, id, { enabled: 0 }, now),
  );

  app.delete<SerialParams>(
    "/authenticators/:serial",
    { schema: { params: serialParam, response: { 200: okResponse({}) } } },
    async (request) => {
      const row = await tokenFromPath(request);
      // A security key goes under its own rule whichever route deletes it: never the last second
      // factor of a user whom the tenant requires to have one (webauthn/credential-store.ts).
      if (row.type === "webauthn") await deleteKey(request.server.ctx, request.tenant, row.serial);
      else await deleteAuthenticator(request.server.ctx.database.db, row.id);
      return success({});
    },
  );

  for (const action of ["activate", "resync"] as const) {
    app.post<SerialParams & { Body: CodeFields & { challengeId?: string } }>(
      `/authenticators/:serial/${action}`,
      { schema: { params: serialParam, body: activationBody(action), response: { 200: tokenResponse } } },
      async (request) => {
        const row = await tokenFromPath(request);
        if (challengeDeviceType(row.type) !== undefined) {
          if (action === "resync")
            throw new TesseraError(ApiReturnCode.OTPTypeInvalid, {
              message: `a ${row.type} device has no clock or counter to resynchronise`,
            });
          const activated = await activateChallengeDevice(
            request.server.ctx,
            request.tenant,
            row,
            request.body,
          );
          return success({
            authenticator: authenticatorView(activated, await usernameOf(request, row.user_id)),
          });
        }
        if (request.body.challengeId !== undefined)
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: `body.challengeId applies to sms, voice and email devices; ${row.serial} is a ${row.type} token`,
            field: "body.challengeId",
          });
        // Resynchronising always takes two codes: it searches a far wider window than validation.
        const count = action === "resync" ? 2 : request.tenant.activationCodes;
        const codes = codesOf(request.body, count);
        const updated = await activateAuthenticator(request.server.ctx, request.tenant, row, codes, action);
        return success({
          authenticator: authenticatorView(updated, await usernameOf(request, row.user_id)),
        });
      },
    );
  }
};
