import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { ensureSiteSlots } from "../src/link/jobs/site-slots.ts";
import type { Site } from "../src/link/sites/site.ts";
import { insertSite } from "../src/link/sites/site-store.ts";
import { codes, type LinkSetup, startLinkServer, waitFor } from "./helpers/link.ts";
import { type OfxReplayServer, ofxSite, startOfxReplayServer } from "./helpers/ofx-replay-server.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * A site whose configuration the worker cannot use (options a stored row holds but the rule
 * refuses, an address the policy refuses) fails every attempt alike: the job ends at once with
 * 500 and a message naming the site's configuration, instead of four retries over an hour.
 */
const ended = (entries: { code: number }[]) => entries.some((e) => e.code === S.Error);

for (const backend of backends) {
  suite(`A site's configuration error ends the job at once (${backend})`, () => {
    let link: LinkSetup;
    let server: OfxReplayServer;
    let counter = 0;
    before(async () => {
      // Production default: link.siteAllowPrivateNetworks off, so the loopback site is refused.
      link = await startLinkServer(backend);
      server = await startOfxReplayServer(["checking.ofx"]);
    });
    after(async () => {
      await link.server.close();
      await server.close();
    });

    /** Stored directly: rows written before the rule, or by an older version, skip the API's checks. */
    async function stored(change: Partial<Site>) {
      counter += 1;
      const site: Site = { ...ofxSite(server.url), id: `config-${backend}-${counter}`, ...change };
      const { db } = link.server.server.ctx.database;
      assert.equal(await insertSite(db, site, link.server.clock.now()), true);
      await ensureSiteSlots(db, [site]);
      return site;
    }

    async function runTo500(site: Site, scenario: string) {
      const response = await link.server.api("POST", "/v1/link/credentials", {
        apiKey: link.apiKey,
        body: { username: link.username, site: site.id, fields: { login: "jo", password: "pin-1234" } },
        scenario,
      });
      assert.equal(response.body.errorCode, 0, JSON.stringify(response.body));
      const jobId = (response.body.job as { id: string }).id;
      const entries = await waitFor(link, jobId, scenario, ended);
      const job = await link.server.api("GET", `/v1/link/jobs/${jobId}/status`, {
        apiKey: link.apiKey,
        scenario,
      });
      return { entries, finished: (job.body.job as { finished: boolean }).finished };
    }

    test("invalid OFX options: 500 once, no 205 retry, the message names the site's configuration", async () => {
      const site = await stored({ options: { ...ofxSite(server.url).options, org: "M&T <Bank>" } });
      const { entries, finished } = await runTo500(site, "link site config: invalid options");
      assert.deepEqual(
        codes(entries).filter((c) => c !== S.Starting && c !== S.Running),
        [S.Register, S.Error],
      );
      assert.match(String(entries.at(-1)?.message), /site's configuration is invalid.*org must be/);
      assert.equal(finished, true, "ended, not queued for a retry");
    });

    test("an address the policy refuses: 500 once, no retry, no request, the setting named", async () => {
      const before = server.requests.length;
      const site = await stored({});
      const { entries, finished } = await runTo500(site, "link site config: address refused");
      assert.deepEqual(
        codes(entries).filter((c) => c !== S.Starting && c !== S.Running),
        [S.Register, S.Error],
      );
      assert.match(
        String(entries.at(-1)?.message),
        /site's configuration is refused.*link\.siteAllowPrivateNetworks/,
      );
      assert.equal(finished, true, "ended, not queued for a retry");
      assert.equal(server.requests.length, before);
    });
  });
}
