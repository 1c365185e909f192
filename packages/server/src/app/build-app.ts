import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from "fastify";
import { approvalRoutes } from "../approvals/approval-routes.ts";
import { auditRequest } from "../audit/audit-requests.ts";
import { auditRoutes } from "../audit/audit-routes.ts";
import { authenticatorRoutes } from "../authenticators/authenticator-routes.ts";
import { authenticatorListRoutes } from "../authenticators/list-authenticators.ts";
import { otpRoutes } from "../authenticators/otp-routes.ts";
import { provisioningLinkRoutes, provisioningRoutes } from "../authenticators/provisioning.ts";
import { webauthnAuthenticationRoutes } from "../authenticators/webauthn/authentication-routes.ts";
import { webauthnRegistrationRoutes } from "../authenticators/webauthn/registration-routes.ts";
import { u2fKeyRoutes } from "../authenticators/webauthn/u2f/u2f-key-routes.ts";
import { healthRoutes } from "../health/health-routes.ts";
import { claimIdempotencyKey, storeIdempotentResponse } from "../idempotency/idempotency.ts";
import { linkRoutes } from "../link/link-routes.ts";
import { registerMetrics } from "../metrics/metrics-plugin.ts";
import { registerOpenApi } from "../openapi/openapi-plugin.ts";
import { challengeRoutes } from "../out-of-band/challenges/challenge-routes.ts";
import { messageTemplateRoutes } from "../out-of-band/templates/template-routes.ts";
import { passwordRoutes } from "../passwords/password-routes.ts";
import { recoveryPageRoutes } from "../passwords/recovery-page.ts";
import { policyRoutes } from "../policies/policy-routes.ts";
import { pushAppRoutes } from "../push/app-routes.ts";
import { pushEnrolmentRoutes } from "../push/enrolment-routes.ts";
import { signInPushRoutes } from "../push/sign-in-routes.ts";
import { radiusClientRoutes } from "../radius/clients/radius-client-routes.ts";
import { limitAuthRequests } from "../rate-limits/auth-rate-limit.ts";
import { sessionRoutes } from "../sessions/session-routes.ts";
import { activationPageRoutes } from "../sso/activation/activation-page.ts";
import { invitationRoutes } from "../sso/activation/invitation-routes.ts";
import { appRoutes } from "../sso/apps/app-routes.ts";
import { clientInfoRoutes } from "../sso/clients/client-info-routes.ts";
import { interactionRoutes } from "../sso/interactions/interaction-routes.ts";
import { providerRoutes } from "../sso/provider/provider-routes.ts";
import { installPatGrant } from "../sso/tokens/pat-grant.ts";
import { patPageRoutes } from "../sso/tokens/pat-page.ts";
import { patRoutes } from "../sso/tokens/pat-routes.ts";
import { authenticateTenant } from "../tenants/authenticate-tenant.ts";
import { requireScope, type Scope } from "../tenants/key-scopes.ts";
import { tenantRoutes } from "../tenants/tenant-routes.ts";
import { userRoutes } from "../users/user-routes.ts";
import "./fastify-types.ts";
import type { TesseraConfig } from "../config/tessera-config.ts";
import { answerClientError, answerFrameworkError, installErrorHandling } from "./error-handler.ts";
import { refuseNul } from "./nul-input.ts";
import { createServerLog, flushOnClose, RequestLog } from "./request-log.ts";
import type { ServerContext } from "./server-context.ts";
import { announceEpochDeprecation } from "./time-input.ts";
import { validatorCompiler } from "./validator-compiler.ts";
import { wireTimes } from "./wire-times.ts";

export interface AppOptions {
  /** false silences the request log (tests); otherwise the configured level applies. */
  readonly logger?: boolean;
}

/**
 * The tenant API's domain plugins, registered in this order under /v1, each with the API-key
 * scope its routes need unless a route declares its own (`config: { scope }`).
 */
const tenantApiPlugins: readonly (readonly [FastifyPluginAsync, Scope])[] = [
  [tenantRoutes, "admin"],
  [userRoutes, "users"],
  [invitationRoutes, "users"],
  [patRoutes, "users"],
  [passwordRoutes, "auth"],
  [sessionRoutes, "auth"],
  [authenticatorRoutes, "tokens"],
  [provisioningLinkRoutes, "tokens"],
  [authenticatorListRoutes, "tokens"],
  [otpRoutes, "auth"],
  [auditRoutes, "audit"],
  [appRoutes, "admin"],
  [policyRoutes, "admin"],
  [messageTemplateRoutes, "admin"],
  [challengeRoutes, "auth"],
  [signInPushRoutes, "auth"],
  [pushEnrolmentRoutes, "tokens"],
  [approvalRoutes, "auth"],
  [webauthnRegistrationRoutes, "tokens"],
  [webauthnAuthenticationRoutes, "auth"],
  [radiusClientRoutes, "admin"],
  [u2fKeyRoutes, "tokens"],
];

/**
 * Registers `plugin` with `scope` as the default of its routes, and shows each route's scope in
 * the OpenAPI document. requireScope reads it from the route config.
 */
function scoped(plugin: FastifyPluginAsync, scope: Scope): FastifyPluginAsync {
  return async (app) => {
    app.addHook("onRoute", (route) => {
      route.config = { scope, ...route.config };
      const declared = route.config.scope ?? scope;
      if (route.schema !== undefined) route.schema.security = [{ tenantApiKey: [declared] }];
    });
    await app.register(plugin);
  };
}

/**
 * A slow client cannot hold a socket: the headers must arrive within headersTimeoutMs and the whole
 * request within requestTimeoutMs (408 RequestTimeout, then the connection closes), a connection
 * where nothing moves is closed after idleTimeoutMs, an idle keep-alive one after keepAliveTimeoutMs.
 * Node enforces the first two only when it checks its connections, every 30 s by default; checking
 * every second (or twice per headers timeout, if shorter) keeps the limits close to what is configured.
 */
function httpTimeouts(http: TesseraConfig["http"]) {
  // Node refuses a headers timeout above the request timeout.
  const headersTimeout = Math.min(http.headersTimeoutMs, http.requestTimeoutMs);
  return {
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    connectionTimeout: http.idleTimeoutMs,
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 2)) },
  };
}

/** The HTTP application: one Fastify plugin per domain, registered from explicit lists. */
export async function buildApp(ctx: ServerContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const log = options.logger === false ? undefined : createServerLog(ctx.config.logLevel);
  const app = Fastify({
    ...(log === undefined
      ? { logger: false }
      : { loggerInstance: log.logger, logController: new RequestLog(log) }),
    // In-flight requests on open connections finish during shutdown instead of getting a bare 503.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    // Errors the router raises before any hook runs (a path parameter too long, a malformed URL).
    frameworkErrors: answerFrameworkError,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: 64 * 1024,
    // Fastify (proxy-addr) walks X-Forwarded-For from the socket address leftwards and stops at the
    // first hop that is not a trusted proxy: a client cannot pick its own address by prepending
    // values. With no trusted proxies, the header is ignored and the socket address is the client.
    trustProxy: ctx.config.trustedProxies === "" ? false : ctx.config.trustedProxies.split(","),
    ...httpTimeouts(ctx.config.http),
  });
  app.setValidatorCompiler(validatorCompiler);
  // The API speaks JSON only; any other body is UnsupportedMediaType rather than a string.
  app.removeContentTypeParser("text/plain");
  app.decorate("ctx", ctx);
  app.decorateRequest("tenant", null as never);
  app.decorateRequest("actor", null as never);
  app.decorateRequest("auditSubject", null);
  app.decorateRequest("keyScopes", null as never);
  app.decorateRequest("idempotencyId", null);
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
    // A keep-alive connection that finishes its last request during shutdown must not hold the
    // close open until its idle timeout.
    if (ctx.lifecycle.draining) reply.header("connection", "close");
  });
  // One wire convention for times, at the edge: RFC 3339 out, RFC 3339 (or, deprecated, epoch) in.
  app.addHook("preSerialization", wireTimes);
  app.addHook("onSend", announceEpochDeprecation);
  app.addHook("preValidation", refuseNul);
  if (log !== undefined) flushOnClose(app, log);
  installErrorHandling(app);
  await registerOpenApi(app);
  registerMetrics(app);
  await app.register(healthRoutes);
  await app.register(provisioningRoutes);
  await app.register(recoveryPageRoutes);
  await app.register(activationPageRoutes);
  await app.register(interactionRoutes);
  await app.register(clientInfoRoutes);
  installPatGrant(ctx);
  await app.register(patPageRoutes);
  await app.register(providerRoutes);
  await app.register(pushAppRoutes, { prefix: "/app/v1" });
  await app.register(
    async (v1) => {
      v1.addHook("onRequest", authenticateTenant);
      v1.addHook("onRequest", requireScope);
      v1.addHook("onRequest", limitAuthRequests);
      v1.addHook("preHandler", claimIdempotencyKey);
      // The audit hook runs first, so the stored response is the one the client really got.
      v1.addHook("onSend", auditRequest);
      v1.addHook("onSend", storeIdempotentResponse);
      for (const [plugin, scope] of tenantApiPlugins) await v1.register(scoped(plugin, scope));
      await v1.register(scoped(linkRoutes, "link"), { prefix: "/link" });
    },
    { prefix: "/v1" },
  );
  return app;
}
