import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { ManualClock } from "../src/clock/clock.ts";
import { type Connector, type ConnectorContext, ConnectorFailure } from "../src/link/connectors/connector.ts";
import { connectorFor, connectorIds } from "../src/link/connectors/registry.ts";
import { type SandboxBank, startSandboxBank } from "../src/link/sandbox-bank/sandbox-bank.ts";
import { sandboxSites } from "../src/link/sites/sandbox-sites.ts";
import type { Site } from "../src/link/sites/site.ts";
import { productionSiteIo } from "./helpers/link.ts";

/**
 * The contract every connector keeps (docs/link.md, "Writing a connector"), checked against the
 * Sandbox Bank: results in the documented shapes, failures as credential statuses, sessions that
 * survive JSON and never hold the password, and a deadline honoured.
 */
const sandboxSite = sandboxSites.find((s) => s.id === "sandbox-bank") as Site;
const ofxSite = sandboxSites.find((s) => s.id === "sandbox-bank-ofx") as Site;
const variants: { name: string; site: Site }[] = [
  { name: "sandbox-bank", site: sandboxSite },
  { name: "ofx (OFX 1.0.2, SGML)", site: ofxSite },
  { name: "ofx (OFX 2.2, XML)", site: { ...ofxSite, options: { ...ofxSite.options, ofxVersion: "220" } } },
];

test("every registered connector has a conformance run", () => {
  assert.deepEqual([...new Set(variants.map((v) => v.site.connector))].sort(), [...connectorIds].sort());
});

for (const { name, site } of variants) {
  suite(`connector conformance: ${name}`, () => {
    let bank: SandboxBank;
    const clock = new ManualClock(Date.UTC(2026, 5, 30, 12));
    before(async () => {
      bank = await startSandboxBank(clock);
    });
    after(() => bank.close());
    const connector: Connector = connectorFor(site.connector);
    const context = (
      login: string,
      password = "sandbox",
      signal = AbortSignal.timeout(5000),
    ): ConnectorContext => ({
      site,
      baseUrl: new URL(site.url, bank.url).toString(),
      signal,
      fields: { login: login, password },
      session: {},
      io: productionSiteIo,
    });
    /** A step, then the session through JSON as the job engine stores it between steps. */
    const persist = (c: ConnectorContext) => {
      const text = JSON.stringify(c.session);
      assert.doesNotMatch(text, /sandbox"/, "the password never enters the session");
      c.session = JSON.parse(text);
    };
    const failure = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => assert.fail("expected a ConnectorFailure"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConnectorFailure, String(error));
      return error;
    };

    test("log in, list accounts, list transactions since a date", async () => {
      const c = context("user_good");
      assert.deepEqual(await connector.login(c), { kind: "ok" });
      persist(c);
      const accounts = await connector.listAccounts(c);
      assert.equal(accounts.length, 2);
      for (const account of accounts) {
        assert.ok(account.externalId && account.name && account.currency.length === 3);
        assert.ok(
          ["checking", "savings", "credit-card", "loan", "investment", "other"].includes(account.kind),
        );
      }
      const since = "2026-06-01";
      const batch = await connector.listTransactions(c, accounts[0] as (typeof accounts)[0], since);
      assert.equal(batch.coverage, "complete");
      assert.ok(batch.transactions.length > 10);
      for (const t of batch.transactions) {
        assert.ok(t.postedOn >= since && /^\d{4}-\d{2}-\d{2}$/.test(t.postedOn), t.postedOn);
        assert.match(t.amount, /^-?\d+\.\d{2}$/);
        assert.ok(t.externalId !== "" && t.description !== "");
      }
      assert.equal(
        new Set(batch.transactions.map((t) => t.externalId)).size,
        batch.transactions.length,
        "ids are unique",
      );
      const again = await connector.listTransactions(c, accounts[0] as (typeof accounts)[0], since);
      assert.deepEqual(
        again.transactions.map((t) => t.externalId),
        batch.transactions.map((t) => t.externalId),
        "ids are stable",
      );
    });

    test("a second factor: asked as fields, a wrong answer is Invalidtoken, the right one logs in", async () => {
      const wrong = context("user_token");
      const asked = await connector.login(wrong);
      assert.equal(asked.kind, "twofa");
      const fields = asked.kind === "twofa" ? asked.fields : [];
      assert.ok(fields.length > 0 && fields.every((f) => f.name !== "" && f.label !== ""));
      persist(wrong);
      const answerName = fields[0]?.name ?? "";
      assert.equal(
        (await failure(connector.answer(wrong, { [answerName]: "000000" }))).status,
        S.Invalidtoken,
      );
      const right = context("user_token");
      await connector.login(right);
      persist(right);
      assert.deepEqual(await connector.answer(right, { [answerName]: "123456" }), { kind: "ok" });
      persist(right);
      assert.equal((await connector.listAccounts(right)).length, 2);
    });

    test("site answers become credential statuses", async () => {
      const cases: [string, string, number][] = [
        ["user_good", "wrong", S.Unauthorized],
        ["user_locked", "sandbox", S.Locked],
        ["user_conflict", "sandbox", S.Conflict],
        ["user_action", "sandbox", S.UserAction],
        ["user_error", "sandbox", S.Error],
        ["user_unavailable", "sandbox", S.Unavailable],
        ["user_login_error", "sandbox", S.LoginError],
      ];
      for (const [login, password, status] of cases) {
        const error = await failure(connector.login(context(login, password)));
        assert.equal(error.status, status, login);
      }
      const maintenance = await failure(connector.login(context("user_maintenance")));
      assert.equal(maintenance.status, S.UndergoingMaintenance);
      assert.equal(maintenance.retryAfterMs, 1_800_000);
    });

    test("data-shaped outcomes: no accounts, partial coverage, an unreadable account", async () => {
      const none = context("user_no_accounts");
      await connector.login(none);
      assert.deepEqual(await connector.listAccounts(none), []);
      const partial = context("user_partial");
      await connector.login(partial);
      const [first] = await connector.listAccounts(partial);
      assert.equal(
        (await connector.listTransactions(partial, first as NonNullable<typeof first>, "2026-01-01"))
          .coverage,
        "partial",
      );
      const incomplete = context("user_incomplete");
      await connector.login(incomplete);
      const card = (await connector.listAccounts(incomplete)).find((a) => a.kind === "credit-card");
      assert.ok(card);
      assert.equal((await connector.listTransactions(incomplete, card, "2026-06-01")).coverage, "unreadable");
    });

    test("the deadline is honoured: a stalled site ends the call when the signal aborts", async () => {
      const started = Date.now();
      const error = await failure(
        connector.login(context("user_timeout", "sandbox", AbortSignal.timeout(300))),
      );
      assert.equal(error.status, S.ConnectionTimeout);
      assert.ok(Date.now() - started < 5000, "returned at the deadline, not when the site gave up");
    });
  });
}
