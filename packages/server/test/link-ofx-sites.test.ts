import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { holdBackForSite } from "../src/link/jobs/site-gate.ts";
import { ensureSiteSlots } from "../src/link/jobs/site-slots.ts";
import type { MaintenanceWindow, Site } from "../src/link/sites/site.ts";
import { insertSite, replaceSite } from "../src/link/sites/site-store.ts";
import {
  codes,
  connect,
  endsWith,
  type LinkSetup,
  startLinkServer,
  timeline,
  until,
  waitFor,
} from "./helpers/link.ts";
import { type OfxReplayServer, ofxSite, startOfxReplayServer } from "./helpers/ofx-replay-server.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Operator-added OFX sites end to end: a user connects to a stored site whose server replays
 * real bank files, and the worker keeps the operator's controls: no job runs inside a
 * maintenance window (it waits for the end, once, without spending an attempt or reaching the
 * site), and a switched-off site takes no further request.
 */
const HOUR = 3_600_000;

for (const backend of backends) {
  suite(`OFX sites configured by operators (${backend})`, () => {
    let link: LinkSetup;
    const servers: OfxReplayServer[] = [];
    let counter = 0;
    before(async () => {
      // The replay servers listen on loopback, which operator sites may reach only with this
      // development setting: the production default refuses private and loopback addresses.
      link = await startLinkServer(backend, { "link.siteAllowPrivateNetworks": true });
    });
    after(async () => {
      await link.server.close();
      await Promise.all(servers.map((s) => s.close()));
    });

    /** A stored site (insertSite, as the operator's API does) over a replay of the files. */
    async function storedSite(
      files: string[],
      change: Partial<Site> = {},
      extra?: Parameters<typeof startOfxReplayServer>[1],
    ) {
      const server = await startOfxReplayServer(files, extra);
      servers.push(server);
      counter += 1;
      const site: Site = { ...ofxSite(server.url), id: `replay-${backend}-${counter}`, ...change };
      const { db } = link.server.server.ctx.database;
      assert.equal(await insertSite(db, site, link.server.clock.now()), true);
      await ensureSiteSlots(db, [site]);
      return { server, site };
    }

    async function connectTo(site: Site, scenario: string, login = "jo", password = "pin-1234") {
      const response = await link.server.api("POST", "/v1/link/credentials", {
        apiKey: link.apiKey,
        body: { username: link.username, site: site.id, fields: { login, password } },
        scenario,
      });
      assert.equal(response.body.errorCode, 0, JSON.stringify(response.body));
      return {
        jobId: (response.body.job as { id: string }).id,
        credentialId: (response.body.credential as { id: string }).id,
      };
    }

    const setEnabled = (site: Site, enabled: boolean) =>
      replaceSite(link.server.server.ctx.database.db, { ...site, enabled }, link.server.clock.now());

    /** A Sandbox Bank job queued now and run to its end: the worker has looked at every due job since. */
    async function workerRoundsPassed(scenario: string) {
      const probe = await connect(link, "user_good", scenario);
      await waitFor(link, probe.jobId, scenario, endsWith(S.Finish));
    }

    test("checking.ofx end to end: 200 Finish with exactly the file's transactions", async () => {
      const scenario = "link ofx site: checking.ofx";
      const { site } = await storedSite(["checking.ofx"]);
      const { jobId, credentialId } = await connectTo(site, scenario);
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Finish));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Finish]);
      assert.deepEqual(
        [entries.at(-1)?.accounts, entries.at(-1)?.transactions, entries.at(-1)?.added],
        [1, 3, 3],
      );
      const accounts = await link.server.api("GET", `/v1/link/accounts?credential=${credentialId}`, {
        apiKey: link.apiKey,
        scenario,
      });
      const [account] = accounts.body.accounts as { id: string; externalId: string; kind: string }[];
      assert.deepEqual([account?.externalId, account?.kind], ["1452687~7", "checking"]);
      const transactions = await link.server.api("GET", `/v1/link/transactions?account=${account?.id}`, {
        apiKey: link.apiKey,
        scenario,
      });
      assert.deepEqual(
        (transactions.body.transactions as { externalId: string; date: string; amount: string }[]).map(
          (t) => [t.externalId, t.date, t.amount],
        ),
        [
          ["0000488", "2011-04-07", "-25.00"],
          ["0000487", "2011-04-05", "-34.51"],
          ["0000486", "2011-03-31", "0.01"],
        ],
      );
    });

    test("the Sandbox Bank's OFX server added as an operator site: a user connects and syncs", async () => {
      const scenario = "link ofx site: Sandbox Bank as an operator site";
      const sandboxUrl = link.server.server.ctx.link.sandboxUrl ?? "";
      counter += 1;
      const site: Site = {
        ...ofxSite(new URL("/ofx", sandboxUrl).toString(), {
          org: "SANDBOX",
          fid: "9999",
          ofxVersion: "211",
        }),
        id: `sandbox-as-operator-${backend}-${counter}`,
      };
      const { db } = link.server.server.ctx.database;
      assert.equal(await insertSite(db, site, link.server.clock.now()), true);
      await ensureSiteSlots(db, [site]);
      const { jobId } = await connectTo(site, scenario, "user_good", "sandbox");
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Finish));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Finish]);
      assert.equal(entries.at(-1)?.accounts, 2);
    });

    test("signon_fail.ofx: the job ends 401 Unauthorized", async () => {
      const scenario = "link ofx site: signon_fail.ofx";
      const { site } = await storedSite(["signon_fail.ofx"]);
      const { jobId } = await connectTo(site, scenario);
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Unauthorized));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Unauthorized]);
    });

    test("error_message.ofx: the statement's server error ends the job 204 Incomplete", async () => {
      const scenario = "link ofx site: error_message.ofx";
      const { site } = await storedSite(
        ["error_message.ofx"],
        {},
        { extraAccounts: [{ kind: "checking", accountId: "5550" }] },
      );
      const { jobId } = await connectTo(site, scenario);
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Incomplete));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Incomplete]);
    });

    test("a statement with an impossible date (2012-02-31) ends the job 204 Incomplete naming the field and line", async () => {
      const scenario = "link ofx site: impossible posted date";
      const { site } = await storedSite(["probes/checking-impossible-date.ofx"]);
      const { jobId } = await connectTo(site, scenario);
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Incomplete));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Incomplete]);
      assert.equal(
        entries.at(-1)?.message,
        '1452687~7: STMTTRN DTPOSTED (line 56): "20120231120000.000" is not an OFX date',
      );
      assert.equal(entries.at(-1)?.transactions, 0, "none of the statement is stored");
    });

    test("an investment account whose statement request is answered with no INVSTMTRS: 204 Incomplete naming it, the bank account read", async () => {
      const scenario = "link ofx site: investment account listed";
      const { site } = await storedSite(["probes/account-list-with-investment.ofx", "checking.ofx"]);
      const { jobId } = await connectTo(site, scenario);
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Incomplete));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Incomplete]);
      const last = entries.at(-1);
      assert.deepEqual(
        [last?.accounts, last?.transactions, last?.message],
        [2, 3, "0123456: the answer has no investment statement (INVSTMTRS) for the account"],
      );
    });

    test("inside a maintenance window: 509 then 205 once, retryAt the window's end, no request; then it runs", async () => {
      const scenario = "link ofx site: maintenance window";
      const now = link.server.clock.now();
      const window: MaintenanceWindow = { kind: "once", from: now - 60_000, until: now + HOUR };
      // Touching the first, so the job waits for the end of both.
      const next: MaintenanceWindow = { kind: "once", from: now + HOUR, until: now + 2 * HOUR };
      const { server, site } = await storedSite(["checking.ofx"], { maintenance: [window, next] });
      const { jobId } = await connectTo(site, scenario);
      const deferred = await waitFor(link, jobId, scenario, endsWith(S.PendingRetry));
      assert.deepEqual(codes(deferred), [S.Register, S.UndergoingMaintenance, S.PendingRetry]);
      const end = new Date(now + 2 * HOUR).toISOString();
      assert.equal(deferred[1]?.retryAt, end);
      assert.equal(deferred[2]?.retryAt, end);
      assert.equal(deferred[2]?.attempt, 1, "waiting for maintenance spends no attempt");
      link.server.clock.advance(2 * HOUR - 1);
      await workerRoundsPassed(scenario);
      assert.deepEqual(
        codes(await timeline(link, jobId, scenario)),
        codes(deferred),
        "deferred once, not at every poll",
      );
      assert.equal(server.requests.length, 0, "no request reached the site");
      link.server.clock.advance(1);
      link.server.server.ctx.link.nudge();
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Finish));
      assert.deepEqual(codes(entries).slice(3), [S.Starting, S.Running, S.Finish]);
      assert.equal(server.requests.length, 2);
    });

    test("a burst of workers deferring the same job for maintenance writes 509/205 once", async () => {
      const scenario = "link ofx site: maintenance burst";
      const now = link.server.clock.now();
      const { server, site } = await storedSite(["checking.ofx"], {
        maintenance: [{ kind: "once", from: now - 1, until: now + HOUR }],
      });
      const { jobId } = await connectTo(site, scenario);
      // Twenty callers at once, racing this process's own worker: one compare-and-set wins.
      const held = await Promise.all(
        Array.from({ length: 20 }, () => holdBackForSite(link.server.server.ctx, jobId, site, now)),
      );
      assert.ok(held.every(Boolean), "none of them may claim the job");
      const entries = await waitFor(link, jobId, scenario, endsWith(S.PendingRetry));
      assert.deepEqual(codes(entries), [S.Register, S.UndergoingMaintenance, S.PendingRetry]);
      assert.equal(server.requests.length, 0);
    });

    test("a site switched off before its job is claimed: the job ends 501, no request", async () => {
      const scenario = "link ofx site: switched off before the claim";
      const now = link.server.clock.now();
      const { server, site } = await storedSite(["checking.ofx"], {
        maintenance: [{ kind: "once", from: now - 1, until: now + HOUR }],
      });
      // Connected while the site is on (a switched-off site takes no new connection), then held
      // back by the window while the operator switches the site off.
      const { jobId } = await connectTo(site, scenario);
      await waitFor(link, jobId, scenario, endsWith(S.PendingRetry));
      assert.equal(await setEnabled({ ...site }, false), true);
      link.server.clock.advance(HOUR);
      link.server.server.ctx.link.nudge();
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Unavailable));
      assert.deepEqual(codes(entries), [S.Register, S.UndergoingMaintenance, S.PendingRetry, S.Unavailable]);
      assert.equal(entries.at(-1)?.message, "the site is switched off by the operator");
      assert.equal(server.requests.length, 0);
      const job = await link.server.api("GET", `/v1/link/jobs/${jobId}/status`, {
        apiKey: link.apiKey,
        scenario,
      });
      assert.equal((job.body.job as { finished: boolean }).finished, true, "ended, not retried");
    });

    test("a site switched off while its job waits for the site: no further request, the job ends 501", async () => {
      const scenario = "link ofx site: switched off while running";
      const { server, site } = await storedSite(["checking.ofx"]);
      const release = server.hold();
      const { jobId } = await connectTo(site, scenario);
      await until(() => server.requests.length === 1, "the sign-on request to arrive");
      assert.equal(await setEnabled(site, false), true);
      release();
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Unavailable));
      assert.equal(entries.at(-1)?.message, "the site is switched off by the operator");
      assert.deepEqual(
        server.requests.map((r) => r.kind),
        ["accounts"],
        "the statement was never asked for",
      );
    });
  });
}
