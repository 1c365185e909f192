import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { afterEach, beforeEach, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { findJob } from "../src/link/jobs/job-store.ts";
import { ensureSiteSlots } from "../src/link/jobs/site-slots.ts";
import type { Site } from "../src/link/sites/site.ts";
import { deleteSite, insertSite } from "../src/link/sites/site-store.ts";
import {
  connect,
  endsWith,
  type LinkSetup,
  siteBody,
  startLinkServer,
  until,
  waitFor,
} from "./helpers/link.ts";
import { ofxSite } from "./helpers/ofx-replay-server.ts";
import { type SiteServer, siteServer } from "./helpers/site-servers.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Which due jobs the worker claims. A site at its concurrency limit must not hold back other
 * sites' jobs however many of its own are due (head-of-line blocking: one tenant could stall
 * every tenant with a site that never answers), and on a shared site a tenant's backlog must not
 * hold back another tenant's single job.
 */
const WORKERS = 2;
const HOUR = 3_600_000;

/** A loopback OFX site that holds every request until the test answers it, in arrival order. */
async function holdingSite() {
  const server = await siteServer();
  const held: ServerResponse[] = [];
  server.handler = (_, response) => held.push(response);
  return {
    server,
    held: () => held.length,
    /** The logins (OFX USERID) in the order their first request arrived. */
    logins: () => [...new Set(server.requests.map((r) => /<USERID>([^<\r\n]+)/.exec(r.body)?.[1]))],
    /** Answers the oldest held request with a 503: its job leaves the site (to a later retry). */
    answerOne: () => held.shift()?.writeHead(503).end(),
  };
}

for (const backend of backends) {
  suite(`fair claims (${backend})`, () => {
    // A server per test: one test's jobs left queued must not decide the next one's claims.
    let link: LinkSetup;
    const servers: SiteServer[] = [];
    beforeEach(async () => {
      link = await startLinkServer(backend, {
        "link.workers": WORKERS,
        // The held sites listen on loopback, which operator sites may reach only with this
        // development setting (the production default refuses private and loopback addresses).
        "link.siteAllowPrivateNetworks": true,
        // The production timeout: the test's short one would end the held requests by itself.
        "link.connectorTimeoutMs": 30_000,
      });
    });
    afterEach(async () => {
      await link.server.close();
      await Promise.all(servers.splice(0).map((s) => s.close()));
    });

    /** A user of the tenant with a credential at the site: its first sync job is queued. */
    async function queue(apiKey: string, site: string, name: string, scenario: string) {
      const user = await link.server.api("POST", "/v1/users", { apiKey, body: { username: name }, scenario });
      assert.equal(user.body.errorCode, 0, JSON.stringify(user.body));
      const response = await link.server.api("POST", "/v1/link/credentials", {
        apiKey,
        body: { username: name, site, fields: { login: name, password: "pin-1234" } },
        scenario,
      });
      assert.equal(response.body.errorCode, 0, JSON.stringify(response.body));
      // Each job a millisecond younger than the one before: the age order is unambiguous.
      link.server.clock.advance(1);
      return (response.body.job as { id: string }).id;
    }

    test("a site at its limit with many due jobs does not hold back another tenant's job", async () => {
      const scenario = "link: head-of-line blocking";
      const hold = await holdingSite();
      servers.push(hold.server);
      const attacker = await link.server.tenant();
      const created = await link.server.api("POST", "/v1/link/sites", {
        apiKey: attacker.apiKey,
        body: siteBody(`stalls-${backend}`, { url: `${hold.server.url}ofx`, maxConcurrency: 1 }),
        scenario,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      // More due jobs of the stalled site than the worker used to look at in a round (workers * 2).
      const stalled: string[] = [];
      for (let i = 0; i < WORKERS * 2 + 2; i++)
        stalled.push(await queue(attacker.apiKey, `stalls-${backend}`, `hol-${backend}-${i}`, scenario));
      await until(() => hold.held() === 1, "the stalled site to hold the first job's request");

      const victim = await connect(link, "user_good", scenario);
      await waitFor(link, victim.jobId, scenario, endsWith(S.Finish), 10_000);

      // The victim ran to its end while the stalled job still held the site's only slot.
      assert.equal(hold.held(), 1, "the first request is still held");
      assert.equal(hold.server.requests.length, 1, "the site's limit held: one request");
      const phases = await Promise.all(
        stalled.map(async (id) => (await findJob(link.server.server.ctx.database.db, id))?.phase),
      );
      assert.deepEqual(phases.toSorted(), ["queued", "queued", "queued", "queued", "queued", "running"]);
    });

    test("on a shared site, another tenant's single job runs before the rest of a backlog", async () => {
      const scenario = "link: fair between tenants";
      const hold = await holdingSite();
      servers.push(hold.server);
      // The operator's site, shared by every tenant, one job at a time.
      const site: Site = { ...ofxSite(hold.server.url), id: `shared-${backend}`, maxConcurrency: 1 };
      const { db } = link.server.server.ctx.database;
      assert.equal(await insertSite(db, site, link.server.clock.now()), true);
      await ensureSiteSlots(db, [site]);

      const busy = await link.server.tenant();
      const quiet = await link.server.tenant();
      for (let i = 0; i < 4; i++) await queue(busy.apiKey, site.id, `busy-${backend}-${i}`, scenario);
      await queue(quiet.apiKey, site.id, `quiet-${backend}`, scenario);
      await until(() => hold.held() === 1, "the first job's request");

      // One job at a time leaves the site; the next one claimed is the other tenant's, although
      // three of the busy tenant's jobs are older.
      hold.answerOne();
      await until(() => hold.logins().length === 2, "the second job's request");
      assert.deepEqual(hold.logins(), [`busy-${backend}-0`, `quiet-${backend}`]);
      hold.answerOne();
      await until(() => hold.logins().length === 3, "the third job's request");
      assert.equal(hold.logins()[2], `busy-${backend}-1`, "then the busy tenant's next oldest");
    });

    test("a job whose site is gone is still offered to the worker, and ends without a slot", async () => {
      const scenario = "link: the job's site is gone";
      const hold = await holdingSite();
      servers.push(hold.server);
      const now = link.server.clock.now();
      const site: Site = {
        ...ofxSite(hold.server.url),
        id: `gone-${backend}`,
        maintenance: [{ kind: "once", from: now - 1, until: now + HOUR }],
      };
      const { db } = link.server.server.ctx.database;
      assert.equal(await insertSite(db, site, now), true);
      await ensureSiteSlots(db, [site]);
      const { jobId } = await connect(link, "jo", scenario, { site: site.id, password: "pin-1234" });
      await waitFor(link, jobId, scenario, endsWith(S.PendingRetry));
      // The site row and its slots go while the job waits (as a removal racing a connection
      // would leave it): no slot can ever be free for the job, yet it must not stay queued.
      await db.deleteFrom("link_site_slots").where("site_id", "=", site.id).execute();
      assert.equal(await deleteSite(db, site.id, null), true);
      link.server.clock.advance(HOUR);
      link.server.server.ctx.link.nudge();
      await waitFor(link, jobId, scenario, endsWith(S.Error));
      assert.equal(hold.server.requests.length, 0, "nothing reached the site");
    });
  });
}
