import { isIP } from "node:net";
import type { FastifyInstance } from "fastify";
import type { TesseraConfig } from "../config/tessera-config.ts";
import { type RadiusListener, startRadiusListener } from "../radius/listener/radius-listener.ts";
import { claimDataDir, type DataDirLock } from "../storage/data-dir-lock.ts";
import { type AppOptions, buildApp } from "./build-app.ts";
import { defaultPublicUrl, isWildcardHost } from "./public-url.ts";
import { type ContextOverrides, openServerContext, type ServerContext } from "./server-context.ts";

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly ctx: ServerContext;
  readonly url: string;
  /** The RADIUS listener, when radius.enabled. */
  readonly radius: RadiusListener | undefined;
  /** Turns readiness false, keeps serving for `drainMs`, then closes. */
  shutdown(drainMs: number): Promise<void>;
  /** Stops taking connections, lets in-flight requests finish, then releases everything. */
  close(): Promise<void>;
}

export async function runServer(
  config: TesseraConfig,
  overrides: ContextOverrides & AppOptions = {},
): Promise<RunningServer> {
  const ctx = await openServerContext(config, overrides);
  // SQLite is for one server process (its writes and the audit chain assume one writer): a second
  // server on the directory stops here, before it listens or starts workers. Opening the context
  // first is no riskier than a CLI command on the same directory, and reports a broken trail or
  // keyring first. PostgreSQL servers share a database by design and claim nothing.
  let lock: DataDirLock | undefined;
  try {
    lock = ctx.database.dialect === "sqlite" ? claimDataDir(config.dataDir) : undefined;
  } catch (error) {
    await ctx.close();
    throw error;
  }
  const closeContext = async () => {
    await ctx.close();
    lock?.release();
  };
  const app = await buildApp(ctx, overrides);
  // Decided before the API listens, and the first line of the log: whether this server offers a
  // fake bank to its tenants is the first thing an operator must see.
  try {
    const sandbox = await ctx.link.serveSandbox(ctx);
    app.log.info({ sandbox: { served: sandbox.served, url: sandbox.url ?? null } }, sandbox.message);
  } catch (error) {
    await closeContext();
    throw error;
  }
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await closeContext();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new Error(
        `${(error as Error).message}; another process listens there; use --port or TESSERA_PORT`,
        { cause: error },
      );
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  // The address actually bound: a host name or a wildcard spelt oddly ("0") is resolved by now.
  const bound = typeof address === "object" && address !== null ? address.address : config.host;
  const url = `http://${bound.includes(":") ? `[${bound}]` : bound}:${port}`;
  if (config.publicUrl === undefined) ctx.publicUrl = defaultPublicUrl(bound, port).toString();
  app.log.info({ url, publicUrl: ctx.publicUrl, database: ctx.database.location }, "tessera listening");
  warnAboutMail(config, app);
  warnAboutPrivateNetworks(config, app);
  warnAboutRelyingParty(ctx.publicUrl, app);
  let radius: RadiusListener | undefined;
  try {
    radius = config.radius.enabled ? await startRadiusListener(ctx, app.log) : undefined;
  } catch (error) {
    await app.close();
    await closeContext();
    throw error;
  }
  ctx.housekeeping.start(ctx, app.log);
  try {
    await ctx.link.start(ctx, { worker: true, log: app.log });
  } catch (error) {
    await radius?.close();
    await app.close();
    await closeContext();
    throw error;
  }
  const close = async () => {
    await ctx.housekeeping.stop();
    ctx.lifecycle.draining = true;
    await ctx.link.stop();
    await radius?.close();
    await app.close();
    await closeContext();
  };
  return {
    app,
    ctx,
    url,
    radius,
    close,
    async shutdown(drainMs) {
      ctx.lifecycle.draining = true;
      if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
      await close();
    },
  };
}

/**
 * SIGTERM and SIGINT close the server gracefully once, bounded by shutdownTimeoutMs; a second
 * signal while closing exits at once, so an operator is never stuck with a process that will not stop.
 */
export function closeOnSignals(server: RunningServer, timeoutMs: number, drainMs: number): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    server.app.log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      server.app.log.error("in-flight requests did not finish in time; exiting");
      process.exit(1);
    }, drainMs + timeoutMs);
    timer.unref();
    server.shutdown(drainMs).then(
      () => {
        // The log's buffer is written out synchronously on exit (request-log.ts), so this line is
        // the last one an operator or a supervisor sees.
        server.app.log.info({ signal }, "stopped");
        process.exit(0);
      },
      (error: unknown) => {
        server.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** The SSRF guards a development setting switched off: said at every start, so it is not forgotten. */
function warnAboutPrivateNetworks(config: TesseraConfig, app: FastifyInstance): void {
  if (config.link.siteAllowPrivateNetworks)
    app.log.warn(
      { setting: "link.siteAllowPrivateNetworks" },
      "link.siteAllowPrivateNetworks is on: sites may point at loopback, private networks and plain http, so a site's address can reach internal services (SSRF); development and tests only",
    );
  if (config.link.webhookAllowPrivateNetworks)
    app.log.warn(
      { setting: "link.webhookAllowPrivateNetworks" },
      "link.webhookAllowPrivateNetworks is on: webhooks may be delivered to loopback and private networks, so a tenant's webhook URL can reach internal services (SSRF); development and tests only",
    );
}

/**
 * A tenant's default WebAuthn RP id is publicUrl's host, and browsers refuse an IP address as an
 * RP id: said at start, with what to set, rather than left to a browser's SecurityError.
 */
function warnAboutRelyingParty(publicUrl: string, app: FastifyInstance): void {
  const host = new URL(publicUrl).hostname;
  if (isIP(host.replace(/^\[(.*)\]$/, "$1")) === 0) return;
  app.log.warn(
    `publicUrl's host ${host} is an IP address, which browsers refuse as a WebAuthn relying party id: no browser registers or uses a security key or passkey of a tenant without webauthnRpId; set publicUrl to a domain (http://localhost:<port> for development), or the tenants' webauthnRpId and webauthnOrigins (PATCH /v1/tenant) (docs/authenticators.md, "WebAuthn: overview")`,
  );
}

/** E-mailed links and e-mails themselves depend on settings an operator may not know about. */
function warnAboutMail(config: TesseraConfig, app: FastifyInstance): void {
  if (config.publicUrl === undefined && isWildcardHost(config.host))
    app.log.warn(
      "publicUrl is not set and the server listens on every interface: e-mailed links point at this machine's loopback address; set publicUrl",
    );
  if (config.smtp.host === undefined)
    app.log.warn(
      "smtp.host is not set: e-mails (password recovery, enrolment, password-change notices, account-activation invitations) cannot be sent",
    );
}
