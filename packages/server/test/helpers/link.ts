import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { recordObservedCode } from "@tessera/codes/coverage";
import { loadConfig } from "../../src/config/load-config.ts";
import { siteIoOf } from "../../src/link/connectors/site-http.ts";
import { type ApiResponse, apiRequest } from "./api-client.ts";
import type { Backend } from "./test-database.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

/** Link test support: a server with the Sandbox Bank, a tenant and user, and timeline polling. */
export interface TimelineEntry {
  readonly code: number;
  readonly name: string;
  readonly at: string;
  readonly twofa?: {
    name: string;
    type: string;
    label: string;
    challenge?: string;
    options?: { value: string }[];
    image?: string;
  }[];
  readonly expiresAt?: string;
  readonly retryAt?: string;
  readonly [key: string]: unknown;
}

export interface LinkSetup {
  readonly server: TestServer;
  readonly apiKey: string;
  readonly username: string;
}

export const linkFlags = {
  "link.sandbox": "on",
  "link.pollIntervalMs": 25,
  "link.connectorTimeoutMs": 1000,
};

/**
 * Loosens the production default for a test whose webhook receiver listens on loopback: only
 * with it may a webhook reach 127.0.0.1. Tests that need no receiver run the default (refused).
 */
export const loopbackWebhooks = { "link.webhookAllowPrivateNetworks": true };

export async function startLinkServer(
  backend: Backend,
  flags: Record<string, unknown> = {},
): Promise<LinkSetup> {
  const server = await startTestServer(backend, { flags: { ...linkFlags, ...flags } });
  const { apiKey } = await server.tenant();
  const username = "lena";
  const created = await server.api("POST", "/v1/users", {
    apiKey,
    body: { username },
    scenario: "link: setup",
  });
  assert.equal(created.body.errorCode, 0);
  return { server, apiKey, username };
}

export async function connect(
  setup: LinkSetup,
  login: string,
  scenario: string,
  options: { site?: string; password?: string } = {},
): Promise<ApiResponse & { jobId: string; credentialId: string }> {
  const response = await setup.server.api("POST", "/v1/link/credentials", {
    apiKey: setup.apiKey,
    body: {
      username: setup.username,
      site: options.site ?? "sandbox-bank",
      fields: { login: login, password: options.password ?? "sandbox" },
    },
    scenario,
  });
  assert.equal(response.body.errorCode, 0, JSON.stringify(response.body));
  const job = response.body.job as { id: string };
  const credential = response.body.credential as { id: string };
  return { ...response, jobId: job.id, credentialId: credential.id };
}

/** Reads a job's timeline through the public API. */
export type TimelineReader = (jobId: string, scenario: string) => Promise<TimelineEntry[]>;

const recorded = (entries: TimelineEntry[], scenario: string) => {
  for (const entry of entries) recordObservedCode("credential", entry.code, scenario);
  return entries;
};

/** The job's timeline through the public API; every code seen is recorded for the coverage report. */
export async function timeline(setup: LinkSetup, jobId: string, scenario: string): Promise<TimelineEntry[]> {
  const response = await setup.server.api("GET", `/v1/link/jobs/${jobId}/status`, {
    apiKey: setup.apiKey,
    scenario,
  });
  assert.equal(response.body.errorCode, 0);
  return recorded(response.body.status as TimelineEntry[], scenario);
}

/** Timelines from the server at `url`, for tests that run servers in processes of their own. */
export function timelineAt(url: string, apiKey: string): TimelineReader {
  return async (jobId, scenario) => {
    const response = await apiRequest(`${url}/v1/link/jobs/${jobId}/status`, {
      headers: { authorization: `Bearer ${apiKey}` },
      scenario,
    });
    assert.equal(response.body.errorCode, 0);
    return recorded(response.body.status as TimelineEntry[], scenario);
  };
}

/** Polls the status until the predicate holds; fails with the timeline seen last. */
export async function waitFor(
  source: LinkSetup | TimelineReader,
  jobId: string,
  scenario: string,
  until: (entries: TimelineEntry[]) => boolean,
  timeoutMs = 15_000,
): Promise<TimelineEntry[]> {
  const read: TimelineReader = typeof source === "function" ? source : (id, sc) => timeline(source, id, sc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entries = await read(jobId, scenario);
    if (until(entries)) return entries;
    if (Date.now() > deadline)
      assert.fail(
        `job ${jobId} (${scenario}) never reached the expected state: ${entries.map((e) => e.code).join(" → ")}`,
      );
    await delay(20);
  }
}

export const codes = (entries: readonly { code: number }[]) => entries.map((e) => e.code);
export const lastCode = (entries: readonly { code: number }[]) => entries[entries.length - 1]?.code;
export const endsWith = (code: number) => (entries: TimelineEntry[]) => lastCode(entries) === code;

/** Polls until the condition holds; fails naming what never happened. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(20);
  }
}

export interface ReceivedWebhook {
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

export interface WebhookReceiver {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly received: ReceivedWebhook[];
}

/**
 * A real HTTP webhook receiver on a loopback address (127.0.0.1 unless `host` says otherwise, on
 * a free port unless `port` says which) that answers with the queued statuses, then 204.
 */
export async function webhookReceiver(
  statuses: number[],
  options: { host?: string; port?: number; headers?: Record<string, string> } = {},
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
    response.writeHead(statuses.shift() ?? 204, options.headers ?? {});
    response.end();
  });
  const host = options.host ?? "127.0.0.1";
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `http://${host}:${port}/hooks`, received };
}

/** A valid body for POST /v1/link/sites: an OFX institution on a public https address. */
export const siteBody = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: "Acme Federal Credit Union",
  organisation: "Acme FCU",
  kind: "personal-banking",
  url: "https://ofx.acmefcu.example/ofx",
  options: { org: "ACMEFCU", fid: "12345" },
  ...extra,
});

/** A valid site body on the Sandbox Bank's OFX server (loopback: needs link.siteAllowPrivateNetworks). */
export const sandboxOfxSiteBody = (link: LinkSetup, id: string, extra: Record<string, unknown> = {}) =>
  siteBody(id, {
    url: new URL("/ofx", link.server.server.ctx.link.sandboxUrl).toString(),
    options: { org: "SANDBOX", fid: "9999" },
    ...extra,
  });

/**
 * `call(method, path, scenario, body?)` with the setup's tenant API key; `setup` is read at each
 * call, so a suite can make its caller before `before()` starts the server.
 */
export const linkCaller =
  (setup: () => LinkSetup) => (method: string, path: string, scenario: string, body?: unknown) =>
    setup().server.api(method, path, {
      apiKey: setup().apiKey,
      scenario,
      ...(body === undefined ? {} : { body }),
    });

/** The connector request limits a production server runs with (settings' defaults). */
export const productionSiteIo = siteIoOf(loadConfig({ env: {} }).link);
