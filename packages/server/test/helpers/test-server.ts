import { type RunningServer, runServer } from "../../src/app/run-server.ts";
import { ManualClock } from "../../src/clock/clock.ts";
import { loadConfig } from "../../src/config/load-config.ts";
import type { TesseraConfig } from "../../src/config/tessera-config.ts";
import type { Mailer } from "../../src/mail/mailer.ts";
import { createApiKey } from "../../src/tenants/api-keys.ts";
import {
  createTenant,
  type Tenant,
  type TenantSettings,
  updateTenant,
} from "../../src/tenants/tenant-store.ts";
import { type ApiResponse, apiRequest } from "./api-client.ts";
import { freeUdpPort } from "./radius.ts";
import { type Backend, createTestDatabase, type TestDatabase } from "./test-database.ts";

/**
 * A real server on a free loopback port, in this process so that the test controls its clock,
 * on a fresh database of the given backend. Requests go over real HTTP.
 */
export interface TestServer {
  readonly url: string;
  readonly server: RunningServer;
  readonly clock: ManualClock;
  readonly backend: Backend;
  /** A new tenant with one API key, optionally with settings. */
  tenant(name?: string, settings?: TenantSettings): Promise<{ tenant: Tenant; apiKey: string }>;
  /** Calls the API; records the observed status code for the coverage report. */
  api(method: string, path: string, options: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface CallOptions {
  readonly scenario: string;
  readonly apiKey?: string;
  readonly body?: unknown;
  /** A raw body sent as is (for malformed-input tests). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  /**
   * Sent as X-Forwarded-For. Test servers run the production default (no trusted proxies), so it
   * changes the client address only on a server started with `trustedProxies: "127.0.0.1/32"`.
   */
  readonly source?: string;
}

let tenantCounter = 0;

/** The configuration test servers run with: a free port, no logs, a small pool, on `database`. */
export function testConfig(database: TestDatabase, flags: Record<string, unknown> = {}): TesseraConfig {
  return loadConfig({
    env: {},
    flags: {
      dataDir: database.dataDir,
      databaseUrl: database.databaseUrl,
      port: 0,
      logLevel: "silent",
      databasePoolSize: 5,
      ...flags,
    },
  });
}

export async function startTestServer(
  backend: Backend,
  options: {
    flags?: Record<string, unknown>;
    mailer?: Mailer;
    clock?: ManualClock;
    /** Runs the RADIUS listener (radius.enabled) on free authentication and accounting ports. */
    radius?: boolean;
  } = {},
): Promise<TestServer> {
  const database = await createTestDatabase(backend);
  const clock = options.clock ?? new ManualClock();
  const radiusFlags =
    options.radius !== true
      ? {}
      : { "radius.enabled": true, "radius.port": 0, "radius.accountingPort": await freeUdpPort() };
  const config = testConfig(database, { ...radiusFlags, ...options.flags });
  const server = await runServer(config, {
    clock,
    logger: false,
    ...(options.mailer === undefined ? {} : { mailer: options.mailer }),
  });
  const { db } = server.ctx.database;
  return {
    url: server.url,
    server,
    clock,
    backend,
    async tenant(name, settings) {
      tenantCounter += 1;
      const tenant = await createTenant(db, name ?? `tenant-${process.pid}-${tenantCounter}`, clock.now());
      const updated =
        settings === undefined ? tenant : await updateTenant(db, tenant.id, settings, clock.now());
      // Admin, so that tests of any route can use it; scope tests create narrower keys.
      const { apiKey } = await createApiKey(db, tenant.id, "test", ["admin"], clock.now());
      return { tenant: updated, apiKey };
    },
    api(method, path, call) {
      const headers: Record<string, string> = { ...call.headers };
      if (call.apiKey !== undefined) headers.authorization = `Bearer ${call.apiKey}`;
      if (call.source !== undefined) headers["x-forwarded-for"] = call.source;
      let body: string | undefined = call.rawBody;
      if (call.body !== undefined) {
        body = JSON.stringify(call.body);
        headers["content-type"] ??= "application/json";
      }
      return apiRequest(`${server.url}${path}`, {
        method,
        headers,
        scenario: call.scenario,
        ...(body === undefined ? {} : { body }),
      });
    },
    async close() {
      await server.close();
      await database.drop();
    },
  };
}
