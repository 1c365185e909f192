import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { type ConnectorContext, ConnectorFailure } from "../src/link/connectors/connector.ts";
import { ofxConnector } from "../src/link/connectors/ofx-connector.ts";
import { element, leaf, text } from "../src/link/ofx/ofx-tree.ts";
import { parseOfx } from "../src/link/ofx/parse-ofx.ts";
import { renderOfx } from "../src/link/ofx/render-ofx.ts";
import type { Site } from "../src/link/sites/site.ts";
import { fixture, type OfxReplayServer, ofxSite, startOfxReplayServer } from "./helpers/ofx-replay-server.ts";

/**
 * The OFX connector against real bank files replayed by a loopback server: exactly the file's
 * transactions come out, failures map to credential statuses, and the site's options (APPID,
 * APPVER, version, CLIENTUID, account types, currency) shape every request.
 */
const contextFor = (
  site: Site,
  fields: Record<string, string> = { login: "jo", password: "pin-1234" },
): ConnectorContext => ({
  site,
  baseUrl: site.url,
  signal: AbortSignal.timeout(5000),
  fields,
  session: {},
  // Loosened for these connector tests: the replay server listens on loopback over plain http.
  io: { maxResponseBytes: 16 * 1024 * 1024, maxRedirects: 5, allowPrivateNetworks: true },
});

async function sync(server: OfxReplayServer, options: Record<string, string> = {}) {
  const context = contextFor(ofxSite(server.url, options));
  assert.deepEqual(await ofxConnector.login(context), { kind: "ok" });
  const accounts = await ofxConnector.listAccounts(context);
  const batches = [];
  for (const account of accounts)
    batches.push(await ofxConnector.listTransactions(context, account, "2000-01-01"));
  return { accounts, batches };
}

suite("OFX connector against real-world files", () => {
  const servers: OfxReplayServer[] = [];
  const replay = async (...files: string[]) => {
    const server = await startOfxReplayServer(files);
    servers.push(server);
    return server;
  };
  after(() => Promise.all(servers.map((s) => s.close())));

  test("checking.ofx: exactly the file's transactions (ids, dates, amounts) and balance", async () => {
    const { accounts, batches } = await sync(await replay("checking.ofx"));
    assert.deepEqual(
      accounts.map((a) => [a.externalId, a.kind, a.currency]),
      [["1452687~7", "checking", "USD"]],
    );
    assert.equal(batches[0]?.coverage, "complete");
    assert.deepEqual(
      batches[0]?.transactions.map((t) => [t.externalId, t.postedOn, t.amount]),
      [
        ["0000486", "2011-03-31", "0.01"],
        ["0000487", "2011-04-05", "-34.51"],
        ["0000488", "2011-04-07", "-25.00"],
      ],
    );
  });

  test("bank_medium.ofx (CAD) with the site's currency option", async () => {
    const { accounts, batches } = await sync(await replay("bank_medium.ofx"), { currency: "CAD" });
    assert.deepEqual(
      accounts.map((a) => [a.externalId, a.currency]),
      [["12300 000012345678", "CAD"]],
    );
    assert.equal(batches[0]?.balance, "382.34");
    assert.deepEqual(
      batches[0]?.transactions.map((t) => [t.externalId, t.postedOn, t.amount]),
      [
        ["0000123456782009040100001", "2009-04-01", "-6.60"],
        ["0000123456782009040200004", "2009-04-02", "-316.67"],
        ["0000123456782009040300005", "2009-04-03", "-22.00"],
      ],
    );
  });

  test("multiple_accounts.ofx: both accounts; the accountTypes option lists only those types", async () => {
    const server = await replay("multiple_accounts.ofx");
    const all = await sync(server);
    assert.deepEqual(
      all.accounts.map((a) => [a.externalId, a.kind]),
      [
        ["9100", "checking"],
        ["9200", "savings"],
      ],
    );
    assert.deepEqual(
      all.batches.map((b) => [b.coverage, b.balance, b.transactions.length]),
      [
        ["complete", "111", 0],
        ["complete", "222", 0],
      ],
    );
    const savingsOnly = await sync(server, { accountTypes: "savings" });
    assert.deepEqual(
      savingsOnly.accounts.map((a) => a.externalId),
      ["9200"],
    );
  });

  test("signon_fail.ofx: the login is refused with Unauthorized (OFX 15500)", async () => {
    const context = contextFor(ofxSite((await replay("signon_fail.ofx")).url));
    const error = await ofxConnector.login(context).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConnectorFailure);
    assert.equal(error.status, S.Unauthorized);
    assert.match(error.message, /15500/);
  });

  test("error_message.ofx: a statement-level server error makes the account unreadable", async () => {
    const server = await startOfxReplayServer(["error_message.ofx"], {
      extraAccounts: [{ kind: "checking", accountId: "5550", bankId: "121140399" }],
    });
    servers.push(server);
    const { accounts, batches } = await sync(server);
    assert.deepEqual(
      accounts.map((a) => a.externalId),
      ["5550"],
    );
    assert.deepEqual(
      batches.map((b) => [b.coverage, b.transactions.length]),
      [["unreadable", 0]],
    );
  });

  test("a statement cut short makes its account unreadable, naming why; the login and the account list stand", async () => {
    const cut = fixture("checking.ofx").slice(0, fixture("checking.ofx").indexOf("</BANKTRANLIST>"));
    const server = createServer(async (request, response) => {
      let body = "";
      for await (const chunk of request) body += String(chunk);
      response.writeHead(200, { "content-type": "application/x-ofx" });
      response.end(body.includes("ACCTINFORQ") ? fixture("account_listing_aggregation.ofx") : cut);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const context = contextFor(ofxSite(`http://127.0.0.1:${port}/ofx`));
      assert.deepEqual(await ofxConnector.login(context), { kind: "ok" });
      const [first] = await ofxConnector.listAccounts(context);
      assert.equal(first?.externalId, "0000000001");
      const batch = await ofxConnector.listTransactions(
        context,
        first as NonNullable<typeof first>,
        "2000-01-01",
      );
      assert.deepEqual(batch, {
        transactions: [],
        coverage: "unreadable",
        history: "ready",
        problem: "unreadable OFX statement: the document ends before </OFX>: it was cut short",
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test("requests carry APPID/APPVER (Quicken's by default), the version asked, and CLIENTUID from 1.0.3 on", async () => {
    const server = await replay("checking.ofx");
    await sync(server);
    assert.deepEqual(
      server.requests.map((r) => [r.kind, r.version, r.appId, r.appVer, r.org, r.fid, r.userId, r.clientUid]),
      [
        ["accounts", "102", "QWIN", "2700", "REPLAY", "1234", "jo", undefined],
        ["statement", "102", "QWIN", "2700", "REPLAY", "1234", "jo", undefined],
      ],
    );
    server.requests.length = 0;
    await sync(server, { appId: "QMOFX", appVer: "2500", ofxVersion: "103" });
    const [first, second] = server.requests;
    assert.deepEqual([first?.appId, first?.appVer, first?.version], ["QMOFX", "2500", "103"]);
    assert.match(
      first?.clientUid ?? "",
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(second?.clientUid, first?.clientUid, "stable for the login at the site");
    server.requests.length = 0;
    await sync(server, { ofxVersion: "211" });
    assert.deepEqual(
      server.requests.map((r) => r.version),
      ["211", "211"],
    );
    assert.equal(server.requests[0]?.clientUid, first?.clientUid);
  });

  test("the sign-on field is `login`; `username`, its first name, still works", async () => {
    const server = await replay("checking.ofx");
    const context = contextFor(ofxSite(server.url), { username: "old-form", password: "pin" });
    await ofxConnector.login(context);
    assert.equal(server.requests[0]?.userId, "old-form");
  });

  test("invalid options are the operator's error, before any request", async () => {
    const server = await replay("checking.ofx");
    for (const options of [
      { ofxVersion: "104" },
      { accountTypes: "checking,stocks" },
      { currency: "usd" },
      { appId: "Q".repeat(33) },
      { appVer: "<2700>" },
      { org: "" },
    ]) {
      const error = await ofxConnector.login(contextFor(ofxSite(server.url, options))).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConnectorFailure, JSON.stringify(options));
      assert.equal(error.status, S.Error);
    }
    assert.equal(server.requests.length, 0);
  });
});

suite("OFX versions Tessera writes", () => {
  for (const version of [
    "102",
    "103",
    "151",
    "160",
    "200",
    "201",
    "202",
    "203",
    "210",
    "211",
    "220",
  ] as const)
    test(`${version}: the header names it and the document parses back`, () => {
      const written = renderOfx(element("OFX", element("X", leaf("A", "b & c"))), version);
      const parsed = parseOfx(written);
      assert.equal(parsed.version, version);
      assert.equal(parsed.major, version.startsWith("1") ? "1" : "2");
      assert.equal(text(parsed.root, "X", "A"), "b & c");
    });
});
