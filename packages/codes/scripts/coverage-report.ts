import { resolve } from "node:path";
import { computeCoverage, coverageGate, formatCoverage } from "../src/coverage/coverage-report.ts";
import { COVERAGE_DIR_VARIABLE, readObservations } from "../src/coverage/observed-codes.ts";

/**
 * Prints the status-code coverage of the last test run. `--strict` applies the coverage gate, as a
 * full `npm test` run does: it fails when a reachable code was never observed, or when a planned or
 * unreachable code was.
 */
const dir = process.env[COVERAGE_DIR_VARIABLE] ?? resolve(import.meta.dirname, "../../../.code-coverage");
const coverage = computeCoverage(readObservations(dir));
console.log(formatCoverage(coverage));
if (process.argv.includes("--json")) console.log(JSON.stringify(coverage, null, 2));
// `npm run coverage:codes --strict` hands the flag to npm, which passes it on as npm_config_strict.
if (process.argv.includes("--strict") || process.env.npm_config_strict === "true") {
  const problems = coverageGate(coverage);
  for (const problem of problems) console.log(`coverage gate FAILED: ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
}
