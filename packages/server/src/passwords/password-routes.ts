import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../app/envelope.ts";
import { body, okResponse } from "../app/route-schemas.ts";
import { MailSendError } from "../mail/mailer.ts";
import { consumeRateLimit } from "../rate-limits/rate-limit.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { userFromPath } from "../users/user-routes.ts";
import { findUser } from "../users/user-store.ts";
import { passwordField, userSchema, userView } from "../users/user-view.ts";
import { requireWellFormed } from "../users/username.ts";
import {
  checkRecovery,
  deleteRecovery,
  midPattern,
  openRecovery,
  redeemRecovery,
  ridPattern,
} from "./recovery-store.ts";
import { setPassword } from "./set-password.ts";
import { verifyPassword } from "./verify-password.ts";

const plainPassword = { type: "string", minLength: 1, maxLength: 1024 } as const;

export const passwordRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { username: string; password: string } }>(
    "/auth/password",
    {
      schema: {
        body: body({ username: { type: "string", maxLength: 300 }, password: plainPassword }, [
          "username",
          "password",
        ]),
        response: { 200: okResponse({ user: userSchema }) },
      },
    },
    async (request) => {
      request.auditSubject = `user:${String(request.body.username).toLowerCase()}`;
      const user = await verifyPassword(
        request.server.ctx,
        request.tenant,
        request.body.username,
        request.body.password,
      );
      return success({ user: userView(user) });
    },
  );

  app.post<{ Params: { username: string }; Body: { currentPassword?: string; newPassword: string } }>(
    "/users/:username/password",
    {
      // An administrator's reset needs more than the login flow's `auth` scope.
      config: { scope: "users" },
      schema: {
        params: {
          type: "object",
          properties: { username: { type: "string", maxLength: 300 } },
          required: ["username"],
        },
        body: body({ currentPassword: plainPassword, newPassword: passwordField }, ["newPassword"]),
        response: { 200: okResponse({}) },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      let user = await userFromPath(request);
      // With the current password this is the user's own change, and a wrong one counts towards
      // the lockout; without it, the tenant's back end resets the password as an administrator.
      if (request.body.currentPassword !== undefined) {
        user = await verifyPassword(ctx, request.tenant, user.username, request.body.currentPassword, {
          allowExpiredPassword: true,
        });
      }
      return success({}, await setPassword(ctx, user, request.body.newPassword));
    },
  );

  app.post<{ Body: { username: string } }>(
    "/password-recovery",
    {
      config: { idempotent: true },
      schema: {
        body: body({ username: { type: "string", maxLength: 300 } }, ["username"]),
        response: { 200: okResponse({ requestId: { type: "string" }, expiresAt: { type: "integer" } }) },
      },
    },
    async (request, reply) => {
      const ctx = request.server.ctx;
      const now = ctx.clock.now();
      const username = requireWellFormed(request.body.username, "body.username");
      request.auditSubject = `user:${username}`;
      const user = await findUser(ctx.database.db, request.tenant.id, username);
      if (user === undefined)
        throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, { field: "body.username" });
      if (user.email === null || signInRefusal(user, now) !== undefined) {
        throw new TesseraError(ApiReturnCode.PartnerUserForgetPasswordFailed, {
          message: "recovery cannot start: the account is disabled, expired, or has no e-mail address",
        });
      }
      // Each request sends an e-mail: a per-user limit keeps this from being used to flood a mailbox.
      const retryAt = await consumeRateLimit(
        ctx.database.db,
        `recovery:${user.id}`,
        { limit: ctx.config.recovery.maxPerHour, windowMs: 3600_000 },
        now,
      );
      if (retryAt !== undefined) {
        reply.header("retry-after", String(Math.ceil((retryAt - now) / 1000)));
        throw new TesseraError(TesseraApiCode.RateLimited, {
          message: "too many recovery e-mails for this account; try again later",
        });
      }
      const expiresAt = now + ctx.config.recovery.linkTtlMinutes * 60_000;
      const { rid, mid } = await openRecovery(ctx.database.db, {
        tenantId: request.tenant.id,
        userId: user.id,
        now,
        expiresAt,
      });
      const link = new URL("/password-recovery", ctx.publicUrl);
      link.searchParams.set("rid", rid);
      link.searchParams.set("mid", mid);
      try {
        await ctx.mailer.send({
          to: user.email,
          subject: "Reset your password",
          text: `Someone asked to reset the password of ${user.username}. To choose a new one, open\n\n${link}\n\nThe link works once and expires at ${new Date(expiresAt).toISOString()}. If this was not you, ignore this e-mail.\n`,
        });
      } catch (error) {
        await deleteRecovery(ctx.database.db, rid);
        if (!(error instanceof MailSendError)) throw error;
        throw new TesseraError(ApiReturnCode.PartnerUserSendPasswordEmailFailed, { cause: error });
      }
      return success({ requestId: rid, expiresAt });
    },
  );

  app.post<{ Body: { rid?: string; mid?: string; newPassword: string } }>(
    "/password-recovery/complete",
    {
      schema: {
        body: body(
          {
            rid: { type: "string", maxLength: 200 },
            mid: { type: "string", maxLength: 200 },
            newPassword: passwordField,
          },
          ["newPassword"],
        ),
        response: { 200: okResponse({}) },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      const { rid, mid, newPassword } = request.body;
      if (rid === undefined || !ridPattern.test(rid)) {
        throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingRid, {
          field: "body.rid",
        });
      }
      if (mid === undefined || !midPattern.test(mid)) {
        throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingMid, {
          field: "body.mid",
        });
      }
      const now = ctx.clock.now();
      const check = await checkRecovery(ctx.database.db, request.tenant.id, rid, mid, now);
      if (check === "unknown")
        throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound, { field: "body.rid" });
      if (check === "wrong-mid")
        throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingMid, {
          field: "body.mid",
        });
      if (check === "expired") throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryExpiredToken);
      if (!(await redeemRecovery(ctx.database.db, rid, now))) {
        throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound, {
          message: "the link was already used",
        });
      }
      const user = await ctx.database.db
        .selectFrom("users")
        .selectAll()
        .where("id", "=", check.userId)
        .executeTakeFirstOrThrow();
      request.auditSubject = `user:${user.username}`;
      return success({}, await setPassword(ctx, user, newPassword));
    },
  );
};
