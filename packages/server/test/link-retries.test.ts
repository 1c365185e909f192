import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import {
  codes,
  connect,
  endsWith,
  type LinkSetup,
  lastCode,
  startLinkServer,
  timeline,
  waitFor,
} from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/** What happens as time passes: questions expire, retries run when due, attempts run out. */
const MINUTE = 60_000;
const retryScheduled = endsWith(S.PendingRetry);
const settled = (entries: { code: number }[]) => {
  const last = lastCode(entries) ?? 0;
  return last >= 200 && ![S.Pending, S.PendingRetry, S.Waiting].includes(last as never);
};

for (const backend of backends) {
  suite(`Link jobs over time (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      link = await startLinkServer(backend, { "link.maxAttempts": 3, "link.twofaTimeoutSeconds": 300 });
    });
    after(() => link.server.close());

    test("an unanswered question ends the job with TwofaTimeout; a late answer is refused", async () => {
      const scenario = "link: user_token, no answer";
      const { jobId } = await connect(link, "user_token", scenario);
      await waitFor(link, jobId, scenario, endsWith(S.Waiting));
      link.server.clock.advance(299_000);
      const stillOpen = await link.server.api("GET", `/v1/link/jobs/${jobId}/status`, {
        apiKey: link.apiKey,
        scenario,
      });
      assert.equal((stillOpen.body.job as { waiting: boolean }).waiting, true, "not expired before its time");
      link.server.clock.advance(1_000);
      const entries = await waitFor(link, jobId, scenario, endsWith(S.TwofaTimeout));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Waiting, S.TwofaTimeout]);
      const late = await link.server.api("POST", `/v1/link/jobs/${jobId}/twofa`, {
        apiKey: link.apiKey,
        body: { twofa: { token: "123456" } },
        scenario,
      });
      assert.equal(late.body.errorCode, TesseraApiCode.JobNotWaiting);
    });

    // A late answer must say "expired" whichever came first, the answer or a worker's sweep. The
    // two orders are tested separately, each forced, rather than left to the poll timer's luck.
    test("a question answered after a sweep ended the job is refused as expired", async () => {
      const scenario = "link: user_captcha, answered after the sweep";
      const { jobId } = await connect(link, "user_captcha", scenario);
      await waitFor(link, jobId, scenario, endsWith(S.Waiting));
      link.server.clock.advance(300_000);
      link.server.server.ctx.link.nudge();
      await waitFor(link, jobId, scenario, endsWith(S.TwofaTimeout));
      const late = await link.server.api("POST", `/v1/link/jobs/${jobId}/twofa`, {
        apiKey: link.apiKey,
        body: { twofa: { captcha: "W7K2P" } },
        scenario,
      });
      assert.equal(late.body.errorCode, TesseraApiCode.JobNotWaiting);
      assert.match(late.body.errorMessage, /expired/);
    });

    test("Unavailable once: PendingRetry, and the retry 15 minutes later finishes", async () => {
      const scenario = "link: user_unavailable_once";
      const { jobId } = await connect(link, "user_unavailable_once", scenario);
      await waitFor(link, jobId, scenario, retryScheduled);
      link.server.clock.advance(15 * MINUTE - 1);
      link.server.server.ctx.link.nudge();
      const early = await waitFor(link, jobId, scenario, retryScheduled);
      assert.equal(lastCode(early), S.PendingRetry, "not retried before its time");
      link.server.clock.advance(1);
      const entries = await waitFor(link, jobId, scenario, settled);
      assert.deepEqual(codes(entries), [
        S.Register,
        S.Starting,
        S.Unavailable,
        S.PendingRetry,
        S.Starting,
        S.Running,
        S.Finish,
      ]);
    });

    test("retries stop after link.maxAttempts; the last failure ends the job", async () => {
      const scenario = "link: user_unavailable, attempts run out";
      const { jobId, credentialId } = await connect(link, "user_unavailable", scenario);
      for (let attempt = 1; attempt < 3; attempt += 1) {
        await waitFor(
          link,
          jobId,
          scenario,
          (e) => e.filter((x) => x.code === S.PendingRetry).length === attempt,
        );
        link.server.clock.advance(15 * MINUTE);
      }
      const entries = await waitFor(link, jobId, scenario, settled);
      assert.deepEqual(codes(entries), [
        S.Register,
        S.Starting,
        S.Unavailable,
        S.PendingRetry,
        S.Starting,
        S.Unavailable,
        S.PendingRetry,
        S.Starting,
        S.Unavailable,
      ]);
      const credential = await link.server.api("GET", `/v1/link/credentials/${credentialId}`, {
        apiKey: link.apiKey,
        scenario,
      });
      assert.equal((credential.body.credential as { code: number }).code, S.Unavailable);
    });

    test("maintenance is retried when the site's window ends", async () => {
      const scenario = "link: user_maintenance";
      const { jobId } = await connect(link, "user_maintenance", scenario);
      const first = await waitFor(link, jobId, scenario, retryScheduled);
      const retryAt = Date.parse(String(first[3]?.retryAt));
      assert.equal(retryAt - Date.parse(first[2]?.at ?? ""), 30 * MINUTE, "the Retry-After of the site");
      link.server.clock.advance(30 * MINUTE);
      await waitFor(link, jobId, scenario, (e) => e.filter((x) => x.code === S.PendingRetry).length === 2);
    });
  });

  suite(`Link questions answered late with no sweep (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      link = await startLinkServer(backend, { "link.twofaTimeoutSeconds": 300 });
    });
    after(() => link.server.close());

    test("a question answered after its expiry, before any sweep, is refused and the job times out", async () => {
      const scenario = "link: user_captcha, answered too late";
      const { jobId } = await connect(link, "user_captcha", scenario);
      await waitFor(link, jobId, scenario, endsWith(S.Waiting));
      // This process's worker stops, as in a process that runs none: no sweep can end the job
      // first, so the answer itself must notice the expiry.
      await link.server.server.ctx.link.stop();
      link.server.clock.advance(300_000);
      const late = await link.server.api("POST", `/v1/link/jobs/${jobId}/twofa`, {
        apiKey: link.apiKey,
        body: { twofa: { captcha: "W7K2P" } },
        scenario,
      });
      assert.equal(late.body.errorCode, TesseraApiCode.JobNotWaiting);
      assert.match(late.body.errorMessage, /expired/);
      assert.deepEqual(codes(await timeline(link, jobId, scenario)), [
        S.Register,
        S.Starting,
        S.Waiting,
        S.TwofaTimeout,
      ]);
    });
  });
}
