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

/**
 * Every credential status, produced through the public API by the Sandbox Bank's documented test
 * logins (docs/link.md). Timelines are asserted whole, oldest first.
 */
const MINUTE = 60_000;
const ended = (entries: { code: number }[]) => {
  const last = lastCode(entries) ?? 0;
  return last >= 200 && last !== S.Pending && last !== S.PendingRetry && last !== S.Waiting;
};
const waiting = endsWith(S.Waiting);
const retryScheduled = endsWith(S.PendingRetry);

for (const backend of backends) {
  suite(`Link credential statuses (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      link = await startLinkServer(backend);
    });
    after(() => link.server.close());

    const answer = (jobId: string, twofa: Record<string, string>, scenario: string) =>
      link.server.api("POST", `/v1/link/jobs/${jobId}/twofa`, {
        apiKey: link.apiKey,
        body: { twofa },
        scenario,
      });

    test("data outcomes: Finish, NoTransactions, PartialTransactions, Incomplete, NoAccounts", async () => {
      const cases: [string, number][] = [
        ["user_good", S.Finish],
        ["user_no_transactions", S.NoTransactions],
        ["user_partial", S.PartialTransactions],
        ["user_incomplete", S.Incomplete],
        ["user_no_accounts", S.NoAccounts],
      ];
      await Promise.all(
        cases.map(async ([login, code]) => {
          const scenario = `link: ${login}`;
          const { jobId } = await connect(link, login, scenario);
          const entries = await waitFor(link, jobId, scenario, ended);
          assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, code], login);
        }),
      );
    });

    test("Pending: recent data first, the history in the background, then Finish", async () => {
      const scenario = "link: user_pending";
      const { jobId, credentialId } = await connect(link, "user_pending", scenario);
      const entries = await waitFor(link, jobId, scenario, ended);
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Pending, S.Finish]);
      const pending = entries[3] as unknown as { transactions: number };
      const finish = entries[4] as unknown as { transactions: number; added: number };
      assert.ok(
        pending.transactions > 0 && finish.transactions > pending.transactions,
        JSON.stringify(entries),
      );
      assert.equal(
        finish.added,
        finish.transactions - pending.transactions,
        "the continuation adds only the history",
      );
      const accounts = await link.server.api("GET", `/v1/link/accounts?credential=${credentialId}`, {
        apiKey: link.apiKey,
        scenario,
      });
      assert.equal((accounts.body.accounts as unknown[]).length, 2);
    });

    test("login failures: Unauthorized, Locked, UserAction, WrongSite end the job at once", async () => {
      const cases: [string, string, string, number][] = [
        ["nobody_here", "sandbox", "sandbox-bank", S.Unauthorized],
        ["user_good", "wrong password", "sandbox-bank-business", S.Unauthorized],
        ["user_locked", "sandbox", "sandbox-bank", S.Locked],
        ["user_action", "sandbox", "sandbox-bank", S.UserAction],
        ["business_good", "sandbox", "sandbox-bank", S.WrongSite],
        ["user_locked", "sandbox", "sandbox-bank-business", S.WrongSite],
      ];
      await Promise.all(
        cases.map(async ([login, password, site, code]) => {
          const scenario = `link: ${login} on ${site}`;
          const { jobId } = await connect(link, login, scenario, { password, site });
          const entries = await waitFor(link, jobId, scenario, ended);
          assert.deepEqual(codes(entries), [S.Register, S.Starting, code], scenario);
          assert.equal(typeof entries[2]?.message, "string");
        }),
      );
      const scenario = "link: business_good on the business site";
      const { jobId } = await connect(link, "business_good", scenario, { site: "sandbox-bank-business" });
      assert.equal(lastCode(await waitFor(link, jobId, scenario, ended)), S.Finish);
    });

    test("second factors: token with a challenge, a choice, an image captcha; each answered", async () => {
      const cases: [string, string, Record<string, string>][] = [
        ["user_token", "token", { token: "123456" }],
        ["user_choice", "choice", { picture: "anchor" }],
        ["user_captcha", "image", { captcha: "W7K2P" }],
      ];
      await Promise.all(
        cases.map(async ([login, type, reply]) => {
          const scenario = `link: ${login}`;
          const { jobId } = await connect(link, login, scenario);
          const asked = await waitFor(link, jobId, scenario, waiting);
          assert.deepEqual(codes(asked), [S.Register, S.Starting, S.Waiting]);
          const question = asked[2];
          assert.equal(question?.twofa?.[0]?.type, type);
          assert.ok(Date.parse(question?.expiresAt ?? "") > 0, "the question says when it expires");
          assert.equal(question?.twofaUrl, `/v1/link/jobs/${jobId}/twofa`);
          if (type === "token") assert.match(question?.twofa?.[0]?.challenge ?? "", /4711/);
          if (type === "choice")
            assert.deepEqual(
              question?.twofa?.[0]?.options?.map((o) => o.value),
              ["cat", "anchor", "tree"],
            );
          if (type === "image")
            assert.match(question?.twofa?.[0]?.image ?? "", /^data:image\/svg\+xml;base64,/);
          const accepted = await answer(jobId, reply, scenario);
          assert.equal(accepted.status, 202);
          const entries = await waitFor(link, jobId, scenario, ended);
          assert.deepEqual(codes(entries), [
            S.Register,
            S.Starting,
            S.Waiting,
            S.TokenReceived,
            S.Running,
            S.Finish,
          ]);
        }),
      );
    });

    test("a wrong second-factor answer is Invalidtoken; a malformed one is refused and names the field", async () => {
      const scenario = "link: user_token, wrong answer";
      const { jobId } = await connect(link, "user_token", scenario, { site: "sandbox-bank-ofx" });
      const asked = await waitFor(link, jobId, scenario, waiting);
      assert.equal(asked[2]?.twofa?.[0]?.name, "MFA13", "OFX challenge phrases become the fields");
      const unknown = await answer(jobId, { pin: "1" }, scenario);
      assert.equal(unknown.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(unknown.body.field, "body.twofa.pin");
      assert.equal((await answer(jobId, { MFA13: "000000" }, scenario)).status, 202);
      const entries = await waitFor(link, jobId, scenario, ended);
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Waiting, S.TokenReceived, S.Invalidtoken]);
      const late = await answer(jobId, { MFA13: "123456" }, scenario);
      assert.equal(late.body.errorCode, TesseraApiCode.JobNotWaiting);
      assert.equal(late.status, 409);

      const choice = "link: user_choice, not an option";
      const second = await connect(link, "user_choice", choice);
      await waitFor(link, second.jobId, choice, waiting);
      const refused = await answer(second.jobId, { picture: "dog" }, choice);
      assert.equal(refused.body.field, "body.twofa.picture");
      assert.equal(
        lastCode(await timeline(link, second.jobId, choice)),
        S.Waiting,
        "a refused answer changes nothing",
      );
      await answer(second.jobId, { picture: "cat" }, choice);
      assert.equal(lastCode(await waitFor(link, second.jobId, choice, ended)), S.Invalidtoken);
    });

    test("connection failures are retried with backoff: Error, LoginError, Conflict, Unavailable, ConnectionTimeout, UndergoingMaintenance", async () => {
      const cases: [string, number, number][] = [
        ["user_error", S.Error, 5 * MINUTE],
        ["user_login_error", S.LoginError, 5 * MINUTE],
        ["user_conflict", S.Conflict, 10 * MINUTE],
        ["user_unavailable", S.Unavailable, 15 * MINUTE],
        ["user_timeout", S.ConnectionTimeout, MINUTE],
        ["user_maintenance", S.UndergoingMaintenance, 30 * MINUTE],
      ];
      const now = link.server.clock.now();
      await Promise.all(
        cases.map(async ([login, code, delay]) => {
          const scenario = `link: ${login}`;
          const { jobId } = await connect(link, login, scenario);
          const entries = await waitFor(link, jobId, scenario, retryScheduled);
          assert.deepEqual(codes(entries), [S.Register, S.Starting, code, S.PendingRetry], login);
          const retry = entries[3] as unknown as { retryAt: string; attempt: number; reason: number };
          assert.equal(Date.parse(retry.retryAt) - now, delay, `${login} retry delay`);
          assert.equal(retry.attempt, 2);
          assert.equal(retry.reason, code);
        }),
      );
    });
  });
}
