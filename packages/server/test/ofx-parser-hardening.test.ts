import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe as suite, test } from "node:test";
import { parseOfxDate } from "../src/link/ofx/ofx-date.ts";
import { descendants, element, type OfxNode, text } from "../src/link/ofx/ofx-tree.ts";
import { maxOfxChars, OfxParseError, parseOfx } from "../src/link/ofx/parse-ofx.ts";
import { readStatements } from "../src/link/ofx/read-ofx.ts";

/**
 * The OFX reader on what real servers write and on hostile input: each test is one problem
 * measured on the real-world corpus (issue #17), and failed before its fix.
 */
const fixtures = new URL("./fixtures/ofx/", import.meta.url);
const raw = (name: string) => readFileSync(new URL(name, fixtures), "latin1");
const sgmlHeader = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n\n";

/** One bank statement in SGML; `body` is what sits inside STMTRS after the account. */
function statement(inside: { beforeAccount?: string; account?: string; list: string; after?: string }) {
  return `${sgmlHeader}<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS>${inside.beforeAccount ?? "<CURDEF>USD"}
${inside.account ?? "<BANKACCTFROM><BANKID>121<BRANCHID>7<ACCTID>4242<ACCTTYPE>CHECKING</BANKACCTFROM>"}
<BANKTRANLIST><DTSTART>20240101<DTEND>20240131
${inside.list}
</BANKTRANLIST>
<LEDGERBAL><BALAMT>${inside.after ?? "10.00"}<DTASOF>20240131</LEDGERBAL>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>`;
}
const transaction = (id: string, posted = "20240105", amount = "-1.50") =>
  `<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>${posted}<TRNAMT>${amount}<FITID>${id}<NAME>Shop ${id}</STMTTRN>`;
const only = (source: string) => {
  const statements = readStatements(parseOfx(source).root);
  assert.equal(statements.length, 1);
  return statements[0] as (typeof statements)[0];
};

suite("OFX as real servers write it", () => {
  test("CDATA is text: suncorp.ofx's payee is the name, not '![CDATA[…'", () => {
    const [first] = only(raw("suncorp.ofx")).transactions;
    assert.equal(first?.name, "EFTPOS WDL HANDYWAY ALDI STORE");
    assert.equal(first?.memo, "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU");
    const mixed = only(statement({ list: transaction("1").replace("Shop 1", "a <![CDATA[<b> & c]]> d") }));
    assert.equal(mixed.transactions[0]?.name, "a <b> & c d");
  });

  for (const [label, ending] of [
    ["CR CR LF", "\r\r\n"],
    ["a bare CR", "\r"],
  ] as const)
    test(`header lines ending in ${label} are read (checking.ofx as a broker would write it)`, () => {
      const original = raw("checking.ofx");
      const mangled = original.replace(/\r?\n/g, ending);
      const document = parseOfx(mangled);
      assert.deepEqual([document.major, document.version], ["1", "102"]);
      assert.deepEqual(only(mangled).transactions, only(original).transactions);
      assert.equal(only(mangled).transactions.length, 3);
    });

  test("an empty <CURDEF> or <BRANCHID> followed by siblings swallows nothing", () => {
    const read = only(
      statement({
        beforeAccount: "<CURDEF>",
        account: "<BANKACCTFROM><BANKID>121<BRANCHID><ACCTID>4242<ACCTTYPE>CHECKING</BANKACCTFROM>",
        list: transaction("1") + transaction("2"),
      }),
    );
    assert.equal(read.currency, undefined);
    assert.deepEqual(read.account, { kind: "checking", accountId: "4242", bankId: "121" });
    assert.equal(read.balance, "10.00");
    assert.equal(read.transactions.length, 2);
  });

  test("comments, processing instructions and self-closed elements anywhere, first child included", () => {
    const read = only(
      statement({
        account:
          "<BANKACCTFROM><!-- the bank's note --><?bank hint?><BRANCHID/><BANKID>121<ACCTID>4<!-- x -->242<ACCTTYPE>CHECKING</BANKACCTFROM>",
        list: `<!-- first --><STMTTRN><?x?><EXTRA/>${transaction("1").slice("<STMTTRN>".length)}`,
      }),
    );
    assert.deepEqual(read.account, { kind: "checking", accountId: "4242", bankId: "121" });
    assert.deepEqual(
      read.transactions.map((t) => [t.fitId, t.name]),
      [["1", "Shop 1"]],
    );
  });

  test("omitted </STMTTRN> end tags, as OFX 1.x allows: 3 of 3 transactions", () => {
    const unclosed = [1, 2, 3].map((n) => transaction(String(n)).replace("</STMTTRN>", "")).join("\n");
    const read = only(statement({ list: unclosed }));
    assert.deepEqual(
      read.transactions.map((t) => [t.fitId, t.amount, t.name]),
      [
        ["1", "-1.50", "Shop 1"],
        ["2", "-1.50", "Shop 2"],
        ["3", "-1.50", "Shop 3"],
      ],
    );
    assert.equal(read.balance, "10.00", "the list ends at </BANKTRANLIST>, the balance is its sibling");
  });
});

suite("OFX reader limits", () => {
  test("6,000 levels of nesting: the parser's own error, never a RangeError", () => {
    const deep = `${sgmlHeader}<OFX>${"<A>".repeat(6000)}x${"</A>".repeat(6000)}</OFX>`;
    assert.throws(
      () => parseOfx(deep),
      (e: unknown) => e instanceof OfxParseError && /nested deeper/.test(e.message),
    );
  });

  test("tree walks do not recurse: 100,000 levels built by hand are walked", () => {
    let node: OfxNode = element("STMTTRN");
    for (let i = 0; i < 100_000; i += 1) node = element("A", node);
    assert.equal(descendants(node, "STMTTRN").length, 1);
  });

  test("a document over the size cap is refused by name before any parsing", () => {
    const big = `${sgmlHeader}<OFX>${" ".repeat(maxOfxChars)}</OFX>`;
    assert.throws(
      () => parseOfx(big),
      (e: unknown) => e instanceof OfxParseError && /larger than/.test(e.message),
    );
  });

  test("40,000 unmatched end tags are ignored, and the document around them is read", () => {
    const junk = "</X>".repeat(40_000);
    const read = only(statement({ list: junk + transaction("1") + junk }));
    assert.equal(read.transactions.length, 1);
    assert.equal(read.account?.accountId, "4242");
  });

  test("elements keep their line, for messages", () => {
    const document = parseOfx(statement({ list: transaction("1") }));
    const [found] = descendants(document.root, "STMTTRN");
    assert.equal(found?.line, 12);
    assert.equal(text(found, "FITID"), "1");
  });
});

suite("OFX values checked against the grammar", () => {
  test("dates: 2012-02-31, hour 25, a zone of +99 or trailing text are not dates", () => {
    for (const bad of ["20120231", "20230229", "20240101250000", "20240101120000[+99:X]", "20240101junk", ""])
      assert.equal(parseOfxDate(bad), undefined, bad);
    assert.equal(parseOfxDate("20240229")?.date, "2024-02-29");
    assert.equal(parseOfxDate("20240101235960.5[-3.5:NST]")?.date, "2024-01-01");
  });

  for (const [label, change, message] of [
    [
      "a posted date of 2012-02-31",
      transaction("2", "20120231"),
      /STMTTRN DTPOSTED \(line 13\): "20120231" is not an OFX date/,
    ],
    [
      "an amount of $120",
      transaction("2", "20240105", "$120"),
      /TRNAMT \(line 13\): "\$120" is not an OFX amount/,
    ],
    ["an amount of -1.006,60", transaction("2", "20240105", "-1.006,60"), /TRNAMT \(line 13\): "-1\.006,60"/],
    ["an amount of null", transaction("2", "20240105", "null"), /TRNAMT \(line 13\): "null"/],
    [
      "a transaction without a date",
      transaction("2").replace("<DTPOSTED>20240105", ""),
      /STMTTRN DTPOSTED \(line 13\): missing/,
    ],
  ] as const)
    test(`${label}: the statement says which field on which line, never a default or a silent drop`, () => {
      const read = only(statement({ list: `${transaction("1")}\n${change}` }));
      assert.match(read.problem ?? "", message);
    });

  test("a balance that is not an amount is named too; good statements have no problem", () => {
    assert.match(only(statement({ list: "", after: "n/a" })).problem ?? "", /LEDGERBAL BALAMT \(line 14\)/);
    assert.equal(only(statement({ list: transaction("1") })).problem, undefined);
  });
});
