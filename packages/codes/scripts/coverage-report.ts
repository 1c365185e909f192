import { resolve } from "node:path";
import { computeCoverage, formatCoverage } from "../src/coverage/coverage-report.ts";
import { COVERAGE_DIR_VARIABLE, readObservations } from "../src/coverage/observed-codes.ts";

/**
 * Prints the status-code coverage of the last test run. `--strict` fails when a reachable code was
 * never observed; the test command will switch it on once every behaviour exists.
 */
const dir = process.env[COVERAGE_DIR_VARIABLE] ?? resolve(import.meta.dirname, "../../../.code-coverage");
const coverage = computeCoverage(readObservations(dir));
console.log(formatCoverage(coverage));
if (process.argv.includes("--json")) console.log(JSON.stringify(coverage, null, 2));
if (process.argv.includes("--strict") && coverage.some((c) => c.missing.length > 0)) process.exitCode = 1;
