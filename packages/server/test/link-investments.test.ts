import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import { ensureSiteSlots } from "../src/link/jobs/site-slots.ts";
import { insertSite } from "../src/link/sites/site-store.ts";
import { codes, connect, endsWith, type LinkSetup, startLinkServer, waitFor } from "./helpers/link.ts";
import { fixture, type OfxReplayServer, ofxSite, startOfxReplayServer } from "./helpers/ofx-replay-server.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Investment accounts end to end: the Sandbox Bank's brokerage login over OFX answers INVSTMTRQ
 * with an INVSTMTRS statement, a Link job stores its positions, trades and securities, the data
 * API serves them exactly (paged, refusing another tenant's account and malformed queries), and
 * a second sync stores nothing twice.
 */
const DAY = 86_400_000;

for (const backend of backends) {
  suite(`investment accounts through Link (${backend})`, () => {
    let link: LinkSetup;
    let accountId = "";
    let credentialId = "";
    const scenario = "link investments";
    const get = (url: string, apiKey = link.apiKey) => link.server.api("GET", url, { apiKey, scenario });
    const day = (back: number) => new Date(link.server.clock.now() - back * DAY).toISOString().slice(0, 10);

    before(async () => {
      link = await startLinkServer(backend);
      const connected = await connect(link, "user_brokerage", scenario, { site: "sandbox-bank-ofx" });
      credentialId = connected.credentialId;
      const entries = await waitFor(link, connected.jobId, scenario, endsWith(S.Finish));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Finish]);
      assert.deepEqual(
        [entries.at(-1)?.accounts, entries.at(-1)?.transactions, entries.at(-1)?.added],
        [1, 6, 6],
      );
      const accounts = await get(`/v1/link/accounts?credential=${credentialId}`);
      const [account, ...more] = accounts.body.accounts as Record<string, unknown>[];
      assert.equal(more.length, 0);
      assert.deepEqual(
        [account?.externalId, account?.kind, account?.currency, account?.balance, account?.name],
        ["INV-0003", "investment", "USD", "1520.40", "Brokerage"],
      );
      accountId = String(account?.id);
    });
    after(() => link.server.close());

    test("positions: exactly the statement's, in its order, with the price date", async () => {
      const response = await get(`/v1/link/positions?account=${accountId}`);
      assert.equal(response.body.errorCode, 0);
      assert.deepEqual(
        (response.body.positions as Record<string, unknown>[]).map((p) => [
          p.securityId,
          p.securityIdType,
          p.heldIn,
          p.positionType,
          p.units,
          p.unitPrice,
          p.marketValue,
          p.priceAsOf,
        ]),
        [
          ["922908728", "CUSIP", "CASH", "LONG", "25.110", "112.50", "2824.88", day(1)],
          ["037833100", "CUSIP", "CASH", "LONG", "15", "192.10", "2881.50", day(1)],
        ],
      );
      assert.equal(response.body.nextCursor, null);
    });

    test("investment transactions: buy, sell, income, reinvest, transfer and cash, newest first", async () => {
      const response = await get(`/v1/link/investment-transactions?account=${accountId}`);
      const rows = response.body.transactions as Record<string, unknown>[];
      const dates = rows.map((t) => String(t.tradeDate));
      assert.deepEqual(dates, [...dates].sort().reverse(), "newest first");
      // Two trades share a day; their order is by id, so they are compared by action here.
      const byDateThenAction = [...rows].sort(
        (a, b) =>
          String(b.tradeDate).localeCompare(String(a.tradeDate)) ||
          String(a.action).localeCompare(String(b.action)),
      );
      assert.deepEqual(
        byDateThenAction.map((t) => [
          t.action,
          t.ofxType,
          t.subtype,
          t.tradeDate,
          t.securityId,
          t.units,
          t.unitPrice,
          t.total,
        ]),
        [
          ["transfer", "TRANSFER", "IN", day(5), "037833100", "10", null, null],
          ["income", "INCOME", "DIV", day(10), "922908728", null, null, "12.34"],
          ["reinvest", "REINVEST", "DIV", day(10), "922908728", "0.110", "112.18", "-12.34"],
          ["sell", "SELLSTOCK", "SELL", day(20), "037833100", "-5", "190.00", "950.00"],
          ["buy", "BUYMF", "BUY", day(30), "922908728", "25.000", "110.20", "-2755.00"],
          ["cash", "INVBANKTRAN", "DEP", day(40), null, null, null, "5000.00"],
        ],
      );
      assert.equal(rows.at(-1)?.description, "Deposit");
      assert.equal(rows.at(-1)?.externalId, `INV-0003-${day(40).replaceAll("-", "")}-cash`);
      const window = await get(
        `/v1/link/investment-transactions?account=${accountId}&from=${day(20)}&to=${day(10)}`,
      );
      assert.deepEqual((window.body.transactions as { action: string }[]).map((t) => t.action).sort(), [
        "income",
        "reinvest",
        "sell",
      ]);
    });

    test("securities: the statement's list with names, tickers and types", async () => {
      const response = await get(`/v1/link/securities?account=${accountId}`);
      assert.deepEqual(
        (response.body.securities as Record<string, unknown>[]).map((s) => [
          s.securityIdType,
          s.securityId,
          s.name,
          s.ticker,
          s.type,
        ]),
        [
          ["CUSIP", "037833100", "Apple Inc.", "AAPL", "stock"],
          ["CUSIP", "922908728", "Total Stock Market Index Fund", "VTSAX", "mf"],
        ],
      );
    });

    test("every list pages with limit and cursor and sees each row once", async () => {
      for (const [list, key, total] of [
        ["positions", "positions", 2],
        ["investment-transactions", "transactions", 6],
        ["securities", "securities", 2],
      ] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await get(
            `/v1/link/${list}?account=${accountId}&limit=1${cursor === null ? "" : `&cursor=${cursor}`}`,
          );
          assert.equal(page.body.errorCode, 0, JSON.stringify(page.body));
          const rows = page.body[key] as unknown[];
          assert.ok(rows.length <= 1);
          seen.push(...rows.map((r) => JSON.stringify(r)));
          cursor = page.body.nextCursor as string | null;
        } while (cursor !== null);
        assert.equal(new Set(seen).size, total, list);
      }
    });

    test("another tenant's account is NotFound on each list, as an unknown one is", async () => {
      const { apiKey } = await link.server.tenant();
      for (const list of ["positions", "investment-transactions", "securities"]) {
        for (const id of [accountId, "00000000-0000-4000-8000-000000000000"]) {
          const response = await get(`/v1/link/${list}?account=${id}`, apiKey);
          assert.equal(response.status, 404);
          assert.equal(response.body.errorCode, TesseraApiCode.NotFound);
          assert.equal(response.body.field, "querystring.account");
        }
      }
    });

    test("malformed queries are 400 naming the field, never a 5xx", async () => {
      const cases: [string, string][] = [
        [`limit=${2 ** 31}`, "querystring.limit"],
        [`limit=${2 ** 53}`, "querystring.limit"],
        ["limit=-1", "querystring.limit"],
        ["limit=1.5", "querystring.limit"],
        ["cursor=WyJwb3NpdGlvbnMiLDFd", "querystring.cursor"],
        ["cursor=not%20a%20cursor", "querystring.cursor"],
      ];
      for (const list of ["positions", "investment-transactions", "securities"]) {
        for (const [query, field] of cases) {
          // A cursor of the positions list is a well-formed cursor there: probe it on the others.
          if (list === "positions" && query.startsWith("cursor=Wy")) continue;
          const response = await get(`/v1/link/${list}?account=${accountId}&${query}`);
          assert.equal(response.status, 400, `${list} ${query}`);
          assert.equal(response.body.field, field, `${list} ${query}`);
        }
        const long = await get(`/v1/link/${list}?account=${"a".repeat(65)}`);
        assert.deepEqual([long.status, long.body.field], [400, "querystring.account"]);
        const missing = await get(`/v1/link/${list}`);
        assert.equal(missing.status, 400);
      }
      const badDay = await get(`/v1/link/investment-transactions?account=${accountId}&from=2026-02-31x`);
      assert.deepEqual([badDay.status, badDay.body.field], [400, "querystring.from"]);
    });

    test("a second sync stores nothing twice: the same rows, none added", async () => {
      const before = await get(`/v1/link/investment-transactions?account=${accountId}`);
      link.server.clock.advance(600_000);
      const sync = await link.server.api("POST", `/v1/link/credentials/${credentialId}/sync`, {
        apiKey: link.apiKey,
        scenario,
      });
      assert.equal(sync.body.errorCode, 0, JSON.stringify(sync.body));
      const jobId = (sync.body.job as { id: string }).id;
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Finish));
      assert.deepEqual([entries.at(-1)?.added, entries.at(-1)?.updated], [0, 0]);
      const again = await get(`/v1/link/investment-transactions?account=${accountId}`);
      assert.deepEqual(
        (again.body.transactions as { id: string }[]).map((t) => t.id),
        (before.body.transactions as { id: string }[]).map((t) => t.id),
      );
      const positions = await get(`/v1/link/positions?account=${accountId}`);
      assert.equal((positions.body.positions as unknown[]).length, 2);
      const securities = await get(`/v1/link/securities?account=${accountId}`);
      assert.equal((securities.body.securities as unknown[]).length, 2);
    });
  });
}

for (const backend of backends) {
  suite(`a broker's real statement through an operator's OFX site (${backend})`, () => {
    let link: LinkSetup;
    const servers: OfxReplayServer[] = [];
    const scratch = mkdtempSync(join(tmpdir(), "tessera-invest-"));
    let counter = 0;
    before(async () => {
      // The replay server listens on loopback, which operator sites may reach only with this
      // development setting: the production default refuses private and loopback addresses.
      link = await startLinkServer(backend, { "link.siteAllowPrivateNetworks": true });
    });
    after(async () => {
      await link.server.close();
      await Promise.all(servers.map((s) => s.close()));
      rmSync(scratch, { recursive: true, force: true });
    });

    /** A stored site replaying `raw` (written to a scratch file the replay server reads). */
    async function syncOf(raw: string, scenario: string, end: number) {
      counter += 1;
      const file = join(scratch, `statement-${counter}.ofx`);
      writeFileSync(file, raw, "latin1");
      const server = await startOfxReplayServer([file]);
      servers.push(server);
      const site = { ...ofxSite(server.url), id: `invest-${backend}-${counter}` };
      const { db } = link.server.server.ctx.database;
      assert.equal(await insertSite(db, site, link.server.clock.now()), true);
      await ensureSiteSlots(db, [site]);
      const connected = await connect(link, "jo", scenario, { site: site.id, password: "pin-1234" });
      const entries = await waitFor(link, connected.jobId, scenario, endsWith(end));
      const accounts = await link.server.api(
        "GET",
        `/v1/link/accounts?credential=${connected.credentialId}`,
        {
          apiKey: link.apiKey,
          scenario,
        },
      );
      return { entries, account: (accounts.body.accounts as { id: string; kind: string }[])[0] };
    }

    test("fidelity.ofx: 200 Finish; 6 positions, 17 transactions and 7 securities served", async () => {
      const scenario = "link investments: fidelity.ofx";
      const { entries, account } = await syncOf(fixture("investment/fidelity.ofx"), scenario, S.Finish);
      assert.deepEqual([entries.at(-1)?.transactions, entries.at(-1)?.added], [17, 17]);
      assert.equal(account?.kind, "investment");
      const get = (list: string) =>
        link.server.api("GET", `/v1/link/${list}?account=${account?.id}`, { apiKey: link.apiKey, scenario });
      const positions = (await get("positions")).body.positions as {
        securityId: string;
        marketValue: string;
      }[];
      assert.deepEqual(
        positions.map((p) => [p.securityId, p.marketValue]),
        [
          ["G7945E105", "+00000005231.36"],
          ["19421R200", "+00000001010.60"],
          ["431571108", "+00000002176.95"],
          ["458140100", "+00000002441.03"],
          ["756577102", "+00000002957.50"],
          ["98417P105", "+00000001102.36"],
        ],
      );
      const transactions = (await get("investment-transactions")).body.transactions as { action: string }[];
      assert.equal(transactions.length, 17);
      const securities = (await get("securities")).body.securities as { ticker: string }[];
      assert.deepEqual(securities.map((s) => s.ticker).sort(), [
        "CLCT",
        "HI",
        "INTC",
        "RHT",
        "SDRL",
        "SPY",
        "XIN",
      ]);
    });

    test("one amount off the OFX grammar: 204 Incomplete and nothing of the statement stored", async () => {
      const scenario = "link investments: a refused amount";
      const raw = fixture("investment/fidelity.ofx").replace("<MKTVAL>+00000005231.36", "<MKTVAL>$5231.36");
      const { account } = await syncOf(raw, scenario, S.Incomplete);
      for (const [list, key] of [
        ["positions", "positions"],
        ["investment-transactions", "transactions"],
        ["securities", "securities"],
      ]) {
        const response = await link.server.api("GET", `/v1/link/${list}?account=${account?.id}`, {
          apiKey: link.apiKey,
          scenario,
        });
        assert.deepEqual(response.body[key as string], [], list);
      }
    });
  });
}
