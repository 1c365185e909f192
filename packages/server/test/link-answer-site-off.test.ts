import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import {
  codes,
  endsWith,
  type LinkSetup,
  linkCaller,
  sandboxOfxSiteBody,
  startLinkServer,
  waitFor,
} from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * A job waiting for the second factor of a site the operator then switched off: the answer is
 * refused with SiteDisabled (not taken as 103 and then dropped by a 501), and the job ends at
 * once with 501 Unavailable saying why; answering again is JobNotWaiting.
 */
for (const backend of backends) {
  suite(`An answer for a switched-off site (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      // The tenant's site is the Sandbox Bank's OFX server, on loopback: only with this setting.
      link = await startLinkServer(backend, { "link.siteAllowPrivateNetworks": true });
    });
    after(() => link.server.close());
    const call = linkCaller(() => link);

    test("refused with SiteDisabled, the job ends 501 at once, a second answer is JobNotWaiting", async () => {
      const scenario = "link: answer for a switched-off site";
      const site = sandboxOfxSiteBody(link, `mfa-off-${backend}`);
      const created = await call("POST", "/v1/link/sites", scenario, site);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const connected = await call("POST", "/v1/link/credentials", scenario, {
        username: link.username,
        site: site.id,
        fields: { login: "user_token", password: "sandbox" },
      });
      assert.equal(connected.status, 201, JSON.stringify(connected.body));
      const jobId = (connected.body.job as { id: string }).id;
      const waiting = await waitFor(link, jobId, scenario, endsWith(S.Waiting));
      const [field] = waiting.at(-1)?.twofa ?? [];
      const answer = { twofa: { [field?.name ?? "token"]: "123456" } };
      const off = await call("PATCH", `/v1/link/sites/${site.id}`, scenario, { enabled: false });
      assert.equal(off.status, 200);

      const answered = await call("POST", `/v1/link/jobs/${jobId}/twofa`, scenario, answer);
      assert.equal(answered.status, 403);
      assert.equal(answered.body.errorCode, TesseraApiCode.SiteDisabled);
      assert.match(
        String(answered.body.errorMessage),
        /switched off by the operator.*ended \(501 Unavailable\)/,
      );

      const entries = await waitFor(link, jobId, scenario, endsWith(S.Unavailable));
      assert.ok(!codes(entries).includes(S.TokenReceived), "the answer was never taken");
      assert.equal(entries.at(-1)?.message, "the site is switched off by the operator");
      const job = await call("GET", `/v1/link/jobs/${jobId}/status`, scenario);
      assert.equal((job.body.job as { finished: boolean }).finished, true);

      const again = await call("POST", `/v1/link/jobs/${jobId}/twofa`, scenario, answer);
      assert.equal(again.body.errorCode, TesseraApiCode.JobNotWaiting);
    });

    test("a site no longer offered (the Sandbox Bank gone) is NotFound, not a switched-off site; the job ends 500", async () => {
      const scenario = "link: answer for a site no longer offered";
      const connected = await call("POST", "/v1/link/credentials", scenario, {
        username: link.username,
        site: "sandbox-bank",
        fields: { login: "user_token", password: "sandbox" },
      });
      assert.equal(connected.status, 201, JSON.stringify(connected.body));
      const jobId = (connected.body.job as { id: string }).id;
      const waiting = await waitFor(link, jobId, scenario, endsWith(S.Waiting));
      const [field] = waiting.at(-1)?.twofa ?? [];
      const { ctx } = link.server.server;
      // As after a restart with the Sandbox Bank no longer configured.
      const sandboxUrl = ctx.link.sandboxUrl;
      ctx.link.sandboxUrl = undefined;
      try {
        const answered = await call("POST", `/v1/link/jobs/${jobId}/twofa`, scenario, {
          twofa: { [field?.name ?? "token"]: "123456" },
        });
        assert.equal(answered.status, 404);
        assert.equal(answered.body.errorCode, TesseraApiCode.NotFound);
        assert.match(String(answered.body.errorMessage), /not offered by this server.*ended \(500 Error\)/);
        assert.doesNotMatch(String(answered.body.errorMessage), /switched off/);
      } finally {
        ctx.link.sandboxUrl = sandboxUrl;
      }
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Error));
      assert.equal(entries.at(-1)?.message, "the site is not offered by this server");
    });
  });
}
