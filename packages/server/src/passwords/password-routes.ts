import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { body, okResponse, time, timestamp } from "../app/route-schemas.ts";
import { MAIL_CONNECTIONS } from "../mail/mailer.ts";
import { appField, applyPolicies, policyOutcomesSchema, requireApp } from "../policies/auth-policy.ts";
import { userFromPath } from "../users/user-routes.ts";
import { passwordField, userSchema, userView } from "../users/user-view.ts";
import { requireWellFormed, usernameInput } from "../users/username.ts";
import { completeRecovery } from "./complete-recovery.ts";
import { BoundedQueue } from "./recovery-queue.ts";
import { readRecovery, ridPattern } from "./recovery-store.ts";
import { changeOwnPassword, setPassword } from "./set-password.ts";
import { continueRecovery, rateLimited, type StartedRecovery, startRecovery } from "./start-recovery.ts";
import { verifyPassword } from "./verify-password.ts";

const pending = new WeakMap<FastifyRequest, StartedRecovery>();

/** An answered recovery waiting for its lookup and e-mail, with what its log lines need. */
interface Deferred {
  readonly started: StartedRecovery;
  readonly log: FastifyBaseLogger;
  readonly requestId: string;
}
const plainPassword = { type: "string", minLength: 1, maxLength: 1024 } as const;

export const passwordRoutes: FastifyPluginAsync = async (app) => {
  // Recoveries continue after their answer through a bounded queue: as many at once as the mailer
  // has SMTP connections, and a bounded backlog. One that finds the backlog full is recorded at
  // once as a failed e-mail (its answer has left, so that is how the tenant learns of it).
  const ctx = app.ctx;
  const settle = (d: Deferred, notSent?: string) =>
    continueRecovery(ctx, d.started, d.log, d.requestId, notSent);
  const queue = new BoundedQueue<Deferred>(MAIL_CONNECTIONS, ctx.config.recovery.queueLimit, (d) =>
    settle(d),
  );
  const overflowing = new Set<Promise<void>>();
  // A graceful stop neither loses an answered recovery nor closes the database under one: it lets
  // the queue run for half the shutdown timeout (the other half is for in-flight requests), then
  // records what has not started as a failed e-mail and waits for the sends under way.
  app.addHook("onClose", async () => {
    const left = await queue.drain(ctx.config.shutdownTimeoutMs / 2);
    await Promise.all([...overflowing, ...left.map((d) => settle(d, "server stopping"))]);
  });
  app.post<{ Body: { username: string; password: string; app?: string } }>(
    "/auth/password",
    {
      schema: {
        body: body({ username: usernameInput, password: plainPassword, app: appField }, [
          "username",
          "password",
        ]),
        response: { 200: okResponse({ user: userSchema, policy: policyOutcomesSchema }) },
      },
    },
    async (request) => {
      request.auditSubject = `user:${String(request.body.username).toLowerCase()}`;
      await requireApp(request, request.body.app);
      const user = await verifyPassword(
        request.server.ctx,
        request.tenant,
        request.body.username,
        request.body.password,
      );
      const policy = await applyPolicies(request, request.body.app, user.id);
      return success({ user: userView(user), ...policy.payload }, policy.outcome);
    },
  );

  // A login page's back end (`auth` scope) runs "change my password" and the expired-password
  // flow; it proves the user with the current password, so it needs no administrator's scope.
  app.post<{ Body: { username: string; currentPassword: string; newPassword: string } }>(
    "/auth/password/change",
    {
      schema: {
        body: body(
          {
            username: usernameInput,
            currentPassword: plainPassword,
            newPassword: passwordField,
          },
          ["username", "currentPassword", "newPassword"],
        ),
        response: { 200: okResponse({}) },
      },
    },
    async (request) => {
      const { username, currentPassword, newPassword } = request.body;
      request.auditSubject = `user:${String(username).toLowerCase()}`;
      const code = await changeOwnPassword(
        request.server.ctx,
        request.tenant,
        username,
        currentPassword,
        newPassword,
      );
      return success({}, code);
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
      const { currentPassword, newPassword } = request.body;
      const user = await userFromPath(request);
      // With the current password this is the user's own change (as /auth/password/change);
      // without it, the tenant's back end resets the password as an administrator.
      if (currentPassword !== undefined)
        return success(
          {},
          await changeOwnPassword(ctx, request.tenant, user.username, currentPassword, newPassword),
        );
      return success({}, await setPassword(ctx, user, newPassword));
    },
  );

  app.post<{ Body: { username: string } }>(
    "/password-recovery",
    {
      config: { idempotent: true },
      schema: {
        body: body({ username: usernameInput }, ["username"]),
        response: { 200: okResponse({ requestId: { type: "string" }, expiresAt: time }) },
      },
      // Everything that depends on whether the account exists happens after the answer has left,
      // so a known and an unknown username are answered after the same work (start-recovery.ts).
      // Only an answer that left as a success is followed (not, say, one the audit hook replaced
      // because the trail could not be written).
      onResponse: async (request, reply) => {
        const started = pending.get(request);
        if (started === undefined || reply.statusCode !== 200) return;
        const d: Deferred = { started, log: request.log, requestId: request.id };
        if (queue.offer(d)) return;
        const task = settle(d, "recovery queue full");
        overflowing.add(task);
        await task.finally(() => overflowing.delete(task));
      },
    },
    async (request, reply) => {
      const ctx = request.server.ctx;
      const username = requireWellFormed(request.body.username, "body.username");
      request.auditSubject = `user:${username}`;
      const started = await startRecovery(ctx, request.tenant, username);
      if ("retryAt" in started) {
        const limited = rateLimited(started.retryAt, ctx.clock.now());
        reply.header("retry-after", limited.retryAfter);
        throw limited.error;
      }
      pending.set(request, started);
      return success({ requestId: started.requestId, expiresAt: started.expiresAt });
    },
  );

  app.get<{ Params: { rid: string } }>(
    "/password-recovery/:rid",
    {
      schema: {
        params: {
          type: "object",
          properties: { rid: { type: "string", maxLength: 200 } },
          required: ["rid"],
        },
        response: {
          200: okResponse({
            requestId: { type: "string" },
            mail: { type: "string", enum: ["queued", "sent", "failed"] },
            expiresAt: time,
            usedAt: timestamp,
          }),
        },
      },
    },
    async (request) => {
      const { rid } = request.params;
      if (!ridPattern.test(rid))
        throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingRid, {
          field: "params.rid",
        });
      const row = await readRecovery(request.server.ctx.database.db, request.tenant.id, rid);
      // An unknown username's request id matches nothing, like any made-up id; so does a known
      // one's for the moment between the answer and the row being written: "queued" cannot be
      // said of an id that may never be stored.
      if (row === undefined)
        throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound, {
          field: "params.rid",
        });
      if (row.mail_state === "refused")
        throw new TesseraError(ApiReturnCode.PartnerUserForgetPasswordFailed, {
          message: "recovery cannot start: the account is disabled, expired, or has no e-mail address",
        });
      // A failed send is the answer to this read, not a failure of it: HTTP 200 with its own code
      // (like PartnerUserPasswordChangedEmailFailed), so it trips no 5xx alert and no retry loop.
      return success(
        { requestId: row.id, mail: row.mail_state, expiresAt: row.expires_at, usedAt: row.used_at },
        row.mail_state === "failed"
          ? ApiReturnCode.PartnerUserSendPasswordEmailFailed
          : ApiReturnCode.Success,
      );
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
      const { rid, mid, newPassword } = request.body;
      const done = await completeRecovery(
        request.server.ctx,
        request.tenant.id,
        { rid, mid, field: "body" },
        newPassword,
      );
      request.auditSubject = `user:${done.username}`;
      return success({}, done.code);
    },
  );
};
