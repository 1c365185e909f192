import assert from "node:assert/strict";
import { describe as suite, test } from "node:test";
import fc from "fast-check";
import { element, leaf, type OfxNode } from "../src/link/ofx/ofx-tree.ts";
import { OfxParseError, parseOfx } from "../src/link/ofx/parse-ofx.ts";
import { type OfxTransaction, readStatements } from "../src/link/ofx/read-ofx.ts";
import { renderOfx } from "../src/link/ofx/render-ofx.ts";

/**
 * Random statements written with Tessera's own OFX writer, then mangled as real servers write
 * files (whitespace, line endings, omitted end tags, comments), must read back exactly as written.
 */
const ok = () => element("STATUS", leaf("CODE", 0), leaf("SEVERITY", "INFO"));
const word = fc.stringMatching(/^[A-Za-z0-9&<>'"#.,:;/ -]{1,30}$/).filter((s) => s.trim() === s);
const digits = (min: number, max: number) => fc.integer({ min, max }).map((n) => String(n).padStart(2, "0"));
const date = fc
  .tuple(fc.integer({ min: 1990, max: 2099 }), digits(1, 12), digits(1, 28))
  .map(([y, m, d]) => `${y}-${m}-${d}`);
const amount = fc
  .tuple(
    fc.constantFrom("", "-", "+"),
    fc.integer({ min: 0, max: 10_000_000 }),
    fc.integer({ min: 0, max: 99 }),
  )
  .map(([sign, units, cents]) => `${sign}${units}.${String(cents).padStart(2, "0")}`);
const transaction: fc.Arbitrary<OfxTransaction> = fc.record(
  {
    fitId: fc.stringMatching(/^[A-Za-z0-9-]{1,24}$/),
    type: fc.constantFrom("DEBIT", "CREDIT", "POS", "CHECK"),
    posted: date,
    amount,
    name: word,
    memo: word,
    checkNumber: fc.stringMatching(/^\d{1,6}$/),
  },
  { requiredKeys: ["fitId", "posted", "amount"] },
);
const statement = fc.record({
  accountId: fc.stringMatching(/^[A-Za-z0-9~ -]{1,20}$/).filter((s) => s.trim() === s),
  bankId: fc.stringMatching(/^\d{9}$/),
  currency: fc.constantFrom("USD", "CAD", "EUR"),
  balance: amount,
  transactions: fc.array(transaction, { maxLength: 8 }),
});

const ofxDate = (day: string) => day.replaceAll("-", "");
type Generated = typeof statement extends fc.Arbitrary<infer T> ? T : never;

function response(s: Generated): OfxNode {
  const transactions = s.transactions.map((t) =>
    element(
      "STMTTRN",
      t.type === undefined ? undefined : leaf("TRNTYPE", t.type),
      leaf("DTPOSTED", ofxDate(t.posted)),
      leaf("TRNAMT", t.amount),
      leaf("FITID", t.fitId),
      t.checkNumber === undefined ? undefined : leaf("CHECKNUM", t.checkNumber),
      t.name === undefined ? undefined : leaf("NAME", t.name),
      t.memo === undefined ? undefined : leaf("MEMO", t.memo),
    ),
  );
  return element(
    "OFX",
    element(
      "SIGNONMSGSRSV1",
      element("SONRS", ok(), leaf("DTSERVER", "20260101000000"), leaf("LANGUAGE", "ENG")),
    ),
    element(
      "BANKMSGSRSV1",
      element(
        "STMTTRNRS",
        leaf("TRNUID", "1"),
        ok(),
        element(
          "STMTRS",
          leaf("CURDEF", s.currency),
          element(
            "BANKACCTFROM",
            leaf("BANKID", s.bankId),
            leaf("ACCTID", s.accountId),
            leaf("ACCTTYPE", "CHECKING"),
          ),
          element("BANKTRANLIST", leaf("DTSTART", "19900101"), leaf("DTEND", "20991231"), ...transactions),
          element("LEDGERBAL", leaf("BALAMT", s.balance), leaf("DTASOF", "20260101")),
        ),
      ),
    ),
  );
}

/** How a server may write the same document: each a choice the property draws. */
const mangling = fc.record({
  newline: fc.constantFrom("\n", "\r\n", "\r", "\r\r\n"),
  indent: fc.constantFrom("", " ", "\t", "  \n  "),
  dropLeafEnds: fc.boolean(),
  dropTransactionEnds: fc.boolean(),
  comments: fc.boolean(),
});

type Mangling = typeof mangling extends fc.Arbitrary<infer T> ? T : never;

function mangle(written: string, m: Mangling): string {
  const start = written.indexOf("<OFX>");
  let body = written.slice(start);
  if (m.dropLeafEnds) body = body.replace(/([^>\s])<\/[A-Z0-9.]+>/g, "$1");
  if (m.dropTransactionEnds) body = body.replaceAll("</STMTTRN>", "");
  if (m.comments)
    body = body
      .replaceAll("<STMTTRN>", "<!-- next --><STMTTRN><?pi?>")
      .replaceAll("<BANKACCTFROM>", "<BANKACCTFROM><!--a-->");
  body = body.replace(/></g, `>${m.indent}<`);
  return (written.slice(0, start) + body).replace(/\r?\n/g, m.newline);
}

suite("OFX round trip through the writer and real-world mangling (property)", () => {
  test("random statements read back exactly as written, in both dialects", () => {
    fc.assert(
      fc.property(statement, mangling, fc.constantFrom("102", "220"), (s, m, dialect) => {
        const source = mangle(renderOfx(response(s), dialect as "102" | "220"), m);
        const [read, ...others] = readStatements(parseOfx(source).root);
        assert.deepEqual(others, []);
        assert.deepEqual(read, {
          status: { code: 0, severity: "INFO" },
          account: { kind: "checking", accountId: s.accountId, bankId: s.bankId },
          currency: s.currency,
          balance: s.balance,
          start: "1990-01-01",
          transactions: s.transactions.map((t) => ({ ...t })),
        });
      }),
      { numRuns: 300 },
    );
  });

  test("token soup never throws anything but the parser's own error, and reads never throw (property)", () => {
    const piece = fc.constantFrom(
      "<OFX>",
      "</OFX>",
      "<STMTTRNRS>",
      "</STMTTRNRS>",
      "<STMTRS>",
      "</STMTRS>",
      "<STMTTRN>",
      "</STMTTRN>",
      "<BANKTRANLIST>",
      "</BANKTRANLIST>",
      "<DTPOSTED>",
      "20240101",
      "<TRNAMT>",
      "-1.00",
      "</TRNAMT>",
      "<CURDEF>",
      "<X/>",
      "<!-- c -->",
      "<![CDATA[<x>]]>",
      "<?p?>",
      "<",
      ">",
      "&amp;",
      "\r",
      "\r\r\n",
      " ",
      "<LEDGERBAL>",
      "<BALAMT>",
      "</LEDGERBAL>",
      "<!--",
      "<![CDATA[",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (pieces) => {
        try {
          readStatements(parseOfx(`OFXHEADER:100\n\n<OFX>${pieces.join("")}</OFX>`).root);
        } catch (error) {
          return error instanceof OfxParseError;
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
