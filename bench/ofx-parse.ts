import { parseOfx } from "../packages/server/src/link/ofx/parse-ofx.ts";
import { readStatements } from "../packages/server/src/link/ofx/read-ofx.ts";

/**
 * `npx node --expose-gc --max-semi-space-size=4 bench/ofx-parse.ts` (the flag `npm start` runs
 * with): the OFX reader's time and memory on a well-formed statement of 100,000 transactions, and
 * its time on hostile input that made the first parser quadratic (40,000 unclosed elements then
 * 40,000 unmatched end tags). The figures are quoted in
 * docs/link.md; the tests assert no time, only behaviour.
 */
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const head = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>";

function timed(label: string, source: string): void {
  const started = performance.now();
  try {
    parseOfx(source);
  } catch (error) {
    label += ` (${(error as Error).message})`;
  }
  console.log(`${label}: ${source.length} chars, ${(performance.now() - started).toFixed(1)} ms`);
}

const transaction = (i: number) =>
  `<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-1.50<FITID>${i}<NAME>Shop number ${i}<MEMO>memo text here</STMTTRN>\n`;
const list = Array.from({ length: 100_000 }, (_, i) => transaction(i)).join("");
const statement = `${head}<BANKMSGSRSV1><STMTTRNRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><ACCTID>1</BANKACCTFROM><BANKTRANLIST>${list}</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>`;
// Flattened once (as a file read is), so the measurement below is the parser's alone.
statement.charCodeAt(0);
gc();
const before = process.memoryUsage().heapUsed;
const rssBefore = process.resourceUsage().maxRSS * 1024;
const started = performance.now();
const document = parseOfx(statement);
const ms = performance.now() - started;
const allocated = process.memoryUsage().heapUsed - before;
const peakRss = process.resourceUsage().maxRSS * 1024 - rssBefore;
gc();
const retained = process.memoryUsage().heapUsed - before;
const mb = statement.length / 1e6;
console.log(
  `well-formed: ${mb.toFixed(2)} MB in ${ms.toFixed(0)} ms (${(ms / mb).toFixed(0)} ms per MB); ` +
    `heap growth before any collection ${(allocated / statement.length).toFixed(1)}x the input, ` +
    `tree kept ${(retained / statement.length).toFixed(1)}x; ` +
    `peak RSS grew ${(peakRss / statement.length).toFixed(1)}x; ` +
    `${readStatements(document.root)[0]?.transactions.length} transactions`,
);

for (const n of [10_000, 40_000, 160_000]) {
  timed(`${n} unmatched end tags`, `${head}${"</X>".repeat(n)}</OFX>`);
  timed(`${n} unclosed elements`, `${head}${"<A>".repeat(n)}</OFX>`);
  timed(
    `${n} unclosed elements, then ${n} unmatched end tags`,
    `${head}${"<A>".repeat(n)}${"</B>".repeat(n)}</OFX>`,
  );
  timed(`${n} times <A></B>`, `${head}${"<A></B>".repeat(n)}</OFX>`);
}
