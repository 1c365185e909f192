import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe as suite, test } from "node:test";
import { descendants, find, text } from "../src/link/ofx/ofx-tree.ts";
import { OfxParseError, parseOfx } from "../src/link/ofx/parse-ofx.ts";
import { readAccountInfo, readSignon, readStatements } from "../src/link/ofx/read-ofx.ts";

/**
 * The 24 files of ofxparse's test fixtures (MIT, see fixtures/ofx/LICENSE.ofxparse): each with its
 * accounts, balances, transaction counts and a few exact values; then one-change malformed
 * variants of them, each refused (a parse error) or flagged (the statement's problem).
 */
const fixtures = new URL("./fixtures/ofx/", import.meta.url);
const raw = (name: string) => readFileSync(new URL(name, fixtures), "latin1");

interface Expected {
  signon?: number;
  /** kind:id of each account listed in ACCTINFORS. */
  listed?: string[];
  /** [account, currency, balance, transactions, status code] per bank or card statement. */
  statements: [string | undefined, string | undefined, string | undefined, number, number][];
  /** Investment statements in the file: not read yet, counted so they are never silently nothing. */
  investment?: number;
}

const corpus: Record<string, Expected> = {
  "account_listing_aggregation.ofx": {
    signon: 0,
    listed: [
      "savings:0000000001",
      "checking:0000000002",
      "creditline:00000000000003",
      "creditcard:4111111111111111",
    ],
    statements: [],
  },
  "anzcc.ofx": { signon: 0, statements: [["1234123412341234", "AUD", "-123.45", 1, 0]] },
  "bank_medium.ofx": { signon: 0, statements: [["12300 000012345678", "CAD", "382.34", 3, 0]] },
  "bank_small.ofx": { statements: [] },
  "checking.ofx": { signon: 0, statements: [["1452687~7", "USD", "100.99", 3, 0]] },
  "error_message.ofx": { signon: 0, statements: [[undefined, undefined, undefined, 0, 2000]] },
  "fidelity-savings.ofx": { signon: 0, statements: [], investment: 1 },
  "fidelity.ofx": { signon: 0, statements: [], investment: 1 },
  "investment_401k.ofx": { signon: 0, statements: [], investment: 1 },
  "investment_medium.ofx": { signon: 0, statements: [], investment: 1 },
  "multiple_accounts.ofx": {
    signon: 0,
    statements: [
      ["9100", "USD", "111", 0, 0],
      ["9200", "USD", "222", 0, 0],
    ],
  },
  "multiple_accounts2.ofx": {
    signon: 0,
    statements: [
      ["9100", "USD", "111", 0, 0],
      ["9200", "USD", "222", 0, 0],
    ],
  },
  "ofx-v102-empty-tags.ofx": { signon: 0, statements: [["12345678", undefined, undefined, 1, 0]] },
  "signon_fail.ofx": { signon: 15500, statements: [] },
  "signon_success.ofx": { signon: 0, statements: [] },
  "signon_success_no_message.ofx": { signon: 0, statements: [] },
  "suncorp.ofx": { signon: 0, statements: [["123456789", "AUD", "1234.12", 1, 0]] },
  "td_ameritrade.ofx": { signon: 0, statements: [], investment: 1 },
  "tiaacref.ofx": { signon: 0, statements: [], investment: 1 },
  "vanguard.ofx": { signon: 0, statements: [], investment: 1 },
  "vanguard401k.ofx": { signon: 0, statements: [], investment: 1 },
};

suite("OFX corpus: ofxparse's real-world files", () => {
  test("the corpus is every .ofx file in the fixtures folder (21 here and 3 in fail_nice/)", () => {
    const names = readdirSync(fixtures).filter((n) => n.endsWith(".ofx"));
    assert.deepEqual(names.sort(), Object.keys(corpus).sort());
    assert.equal(readdirSync(new URL("fail_nice/", fixtures)).length, 3);
  });

  for (const [name, expected] of Object.entries(corpus))
    test(`${name}: accounts, balances and transaction counts`, () => {
      const { root } = parseOfx(raw(name));
      assert.equal(readSignon(root)?.code, expected.signon);
      assert.deepEqual(
        readAccountInfo(root).map((a) => `${a.kind}:${a.accountId}`),
        expected.listed ?? [],
      );
      const statements = readStatements(root);
      assert.deepEqual(
        statements.map((s) => [
          s.account?.accountId,
          s.currency,
          s.balance,
          s.transactions.length,
          s.status.code,
        ]),
        expected.statements,
      );
      for (const statement of statements) assert.equal(statement.problem, undefined);
      assert.equal(descendants(root, "INVSTMTRS").length, expected.investment ?? 0);
    });

  test("exact values: CDATA payee, check number, dates and amounts as written", () => {
    const [suncorp] = readStatements(parseOfx(raw("suncorp.ofx")).root);
    assert.deepEqual(suncorp?.transactions[0], {
      fitId: "1",
      posted: "2013-12-15",
      amount: "-16.85",
      type: "DEBIT",
      name: "EFTPOS WDL HANDYWAY ALDI STORE",
      memo: "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU",
      checkNumber: "0",
    });
    const [anz] = readStatements(parseOfx(raw("anzcc.ofx")).root);
    assert.deepEqual(
      anz?.transactions.map((t) => [t.fitId, t.posted, t.amount, t.memo]),
      [["201705080001", "2017-05-08", "-5.50", "SOME MEMO"]],
    );
    const [empty] = readStatements(parseOfx(raw("ofx-v102-empty-tags.ofx")).root);
    assert.deepEqual(empty?.account, { kind: "checking", accountId: "12345678", bankId: "NPBS" });
    assert.deepEqual(
      empty?.transactions.map((t) => [t.posted, t.amount, t.type, t.memo]),
      [["2018-05-07", "12.34", "Credit", "CBA:Transfer"]],
    );
  });

  test("investment statements: the tree the investment reader gets, bank transactions inside included", () => {
    // [account, INVTRANLIST children, STMTTRN in INVBANKTRAN, INVPOS, SECINFO]; INVSTMTRS itself is
    // read by the investment reader (link/ofx/read-investment.ts, issue #17's investment part).
    const expected: Record<string, [string, number, number, number, number]> = {
      "fidelity-savings.ofx": ["X0000001", 6, 4, 0, 0],
      "fidelity.ofx": ["01234567890", 19, 3, 6, 7],
      "investment_401k.ofx": ["12345678.123456-01", 5, 0, 3, 3],
      "investment_medium.ofx": ["ABC123", 5, 3, 0, 0],
      "td_ameritrade.ofx": ["121212121", 2, 0, 2, 2],
      "tiaacref.ofx": ["111A1111 22B222 33C333", 3, 0, 6, 6],
      "vanguard.ofx": ["01234567890", 3, 0, 2, 2],
      "vanguard401k.ofx": ["0123456", 7, 0, 1, 1],
    };
    for (const [name, counts] of Object.entries(expected)) {
      const { root } = parseOfx(raw(name));
      const [statement] = descendants(root, "INVSTMTRS");
      assert.deepEqual(
        [
          text(statement, "INVACCTFROM", "ACCTID"),
          find(statement, "INVTRANLIST")?.children.length,
          descendants(root, "INVBANKTRAN").flatMap((b) => b.children.filter((c) => c.name === "STMTTRN"))
            .length,
          descendants(root, "INVPOS").length,
          descendants(root, "SECINFO").length,
        ],
        counts,
        name,
      );
    }
    const [first] = descendants(parseOfx(raw("fidelity-savings.ofx")).root, "STMTTRN");
    assert.deepEqual(
      ["FITID", "TRNAMT", "DTPOSTED"].map((field) => text(first, field)),
      ["X0000000000000000000001", "-00000000001500.0000", "20120720000000.000[-4:EDT]"],
    );
  });

  test("fail_nice/: no OFX header is refused; with one, each defect is named with its line", () => {
    const header = "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\n\r\n";
    for (const name of ["date_missing.ofx", "decimal_error.ofx", "empty_balance.ofx"])
      assert.throws(() => parseOfx(raw(`fail_nice/${name}`)), OfxParseError, name);
    const problem = (name: string) =>
      readStatements(parseOfx(header + raw(`fail_nice/${name}`)).root)[0]?.problem;
    assert.equal(problem("date_missing.ofx"), "STMTTRN DTPOSTED (line 37): missing (and 2 more)");
    assert.equal(
      problem("decimal_error.ofx"),
      'STMTTRN DTPOSTED (line 40): "201120000000" is not an OFX date (and 1 more)',
    );
    const [empty] = readStatements(parseOfx(header + raw("fail_nice/empty_balance.ofx")).root);
    assert.deepEqual([empty?.problem, empty?.balance, empty?.transactions.length], [undefined, undefined, 1]);
  });
});

/** One change each; the statement must then be refused or flagged, never read as if whole. */
const variants: [string, (source: string) => string][] = [
  ["an impossible posted date", (s) => s.replace(/<DTPOSTED>\s*\d{8}/, "<DTPOSTED>20120231")],
  ["a posted date with trailing text", (s) => s.replace(/(<DTPOSTED>\s*\d{8})/, "$1junk")],
  ["an amount with a currency sign", (s) => s.replace(/<TRNAMT>\s*-?/, "<TRNAMT>$")],
  ["an amount with a decimal comma", (s) => s.replace(/<TRNAMT>\s*([-\d]+)\.(\d+)/, "<TRNAMT>$1,$2")],
  ["an amount of null", (s) => s.replace(/<TRNAMT>[^<\r\n]*/, "<TRNAMT>null")],
  ["no posted date", (s) => s.replace(/<DTPOSTED>[^<\r\n]*(<\/DTPOSTED>)?/, "")],
  ["no amount", (s) => s.replace(/<TRNAMT>[^<\r\n]*(<\/TRNAMT>)?/, "")],
  ["a balance that is not an amount", (s) => s.replace(/<BALAMT>[^<\r\n]*/, "<BALAMT>12..5")],
  [
    "a statement status without a code",
    (s) =>
      s
        .replace(/(<STMTRS>|<CCSTMTRS>)/, "$1")
        .replace(/(<STMTTRNRS>|<CCSTMTTRNRS>)([\s\S]*?)<CODE>\s*0/, "$1$2<CODE>OK"),
  ],
  ["the file cut short", (s) => s.slice(0, s.indexOf("<STMTTRN>") + 40)],
];

suite("OFX corpus: one-change malformed variants", () => {
  const withTransactions = Object.entries(corpus)
    .filter(([, e]) => e.statements.some(([, , , count]) => count > 0))
    .map(([name]) => name);

  for (const name of withTransactions)
    for (const [label, change] of variants)
      test(`${name} with ${label}: refused or flagged`, () => {
        const source = raw(name);
        const changed = change(source);
        assert.notEqual(changed, source, "the change applies to this file");
        let statements: ReturnType<typeof readStatements>;
        try {
          statements = readStatements(parseOfx(changed).root);
        } catch (error) {
          assert.ok(error instanceof OfxParseError, String(error));
          return;
        }
        assert.ok(
          statements.some((s) => s.problem !== undefined),
          JSON.stringify(statements.map((s) => [s.transactions.length, s.balance])),
        );
      });
});
