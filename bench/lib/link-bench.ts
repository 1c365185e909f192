import type { Kysely } from "kysely";
import { ManualClock } from "../../packages/server/src/clock/clock.ts";
import { loadConfig } from "../../packages/server/src/config/load-config.ts";
import type { ConnectorContext } from "../../packages/server/src/link/connectors/connector.ts";
import { sandboxBankConnector } from "../../packages/server/src/link/connectors/sandbox-bank-connector.ts";
import { siteIoOf } from "../../packages/server/src/link/connectors/site-http.ts";
import { sandboxSites } from "../../packages/server/src/link/sites/sandbox-sites.ts";
import type { Site } from "../../packages/server/src/link/sites/site.ts";
import type { Schema } from "../../packages/server/src/storage/schema.ts";
import type { ServerUnderTest } from "./server-under-test.ts";

/**
 * Link: full sync jobs per second through the API against the served Sandbox Bank (login,
 * accounts, transactions, upserts, timeline), next to the same connector calls made directly
 * without the durable engine; and the server's memory per job waiting for a second factor.
 */
export interface LinkFigures {
  readonly syncJobsPerSecond: number;
  readonly bareConnectorSyncsPerSecond: number;
  readonly jobs: number;
  readonly waitingJobs: number;
  readonly rssBeforeWaitingMiB: number;
  readonly rssWithWaitingMiB: number;
  readonly kibPerWaitingJob: number;
}

async function pool<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

export async function benchLink(
  server: ServerUnderTest,
  apiKey: string,
  sandboxUrl: string,
  options: { jobs: number; waiting: number; concurrency: number; db: Kysely<Schema> },
): Promise<LinkFigures> {
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown) =>
    (
      await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    ).json() as Promise<Record<string, unknown>>;
  const total = options.jobs + options.waiting;
  await pool(total, 32, (i) => call("POST", "/v1/users", { username: `link${i}` }));

  const waitUntil = async (done: () => Promise<boolean>) => {
    while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  // Counted in the database: the API lists at most 500 credentials per call.
  const countWith = async (code: number) =>
    Number(
      (
        await options.db
          .selectFrom("link_credentials")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("status", "=", code)
          .executeTakeFirstOrThrow()
      ).n,
    );

  // Full syncs: every credential of user_good runs login, accounts, two transaction lists, upserts.
  const started = performance.now();
  await pool(options.jobs, options.concurrency, (i) =>
    call("POST", "/v1/link/credentials", {
      username: `link${i}`,
      site: "sandbox-bank",
      fields: { login: "user_good", password: "sandbox" },
    }),
  );
  await waitUntil(async () => (await countWith(200)) >= options.jobs);
  const syncJobsPerSecond = Math.round(options.jobs / ((performance.now() - started) / 1000));

  // The same site traffic without Tessera: the connector called directly, nothing stored.
  const site = sandboxSites.find((s) => s.id === "sandbox-bank") as Site;
  const bareStarted = performance.now();
  await pool(options.jobs, options.concurrency, async () => {
    const context: ConnectorContext = {
      site,
      baseUrl: new URL(site.url, sandboxUrl).toString(),
      signal: AbortSignal.timeout(30_000),
      fields: { login: "user_good", password: "sandbox" },
      session: {},
      io: siteIoOf(loadConfig({ env: {} }).link),
    };
    await sandboxBankConnector.login(context);
    for (const account of await sandboxBankConnector.listAccounts(context))
      await sandboxBankConnector.listTransactions(
        context,
        account,
        new Date(new ManualClock().now() - 90 * 86_400_000).toISOString().slice(0, 10),
      );
  });
  const bareConnectorSyncsPerSecond = Math.round(options.jobs / ((performance.now() - bareStarted) / 1000));

  // Waiting jobs: each stops at the second factor; the process should hold nothing for them.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const rssBeforeWaitingMiB = server.rssMiB();
  await pool(options.waiting, options.concurrency, (i) =>
    call("POST", "/v1/link/credentials", {
      username: `link${options.jobs + i}`,
      site: "sandbox-bank",
      fields: { login: "user_token", password: "sandbox" },
    }),
  );
  await waitUntil(async () => (await countWith(410)) >= options.waiting);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rssWithWaitingMiB = server.rssMiB();
  return {
    syncJobsPerSecond,
    bareConnectorSyncsPerSecond,
    jobs: options.jobs,
    waitingJobs: options.waiting,
    rssBeforeWaitingMiB,
    rssWithWaitingMiB,
    kibPerWaitingJob:
      Math.round((((rssWithWaitingMiB - rssBeforeWaitingMiB) * 1024) / options.waiting) * 100) / 100,
  };
}
