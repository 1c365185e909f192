import { rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { startThrowawayPostgres } from "./lib/throwaway-postgres.ts";

/**
 * The test command: every package's node:test suites, one process per file, then the status-code
 * coverage report (PRODUCT.md §1), then one closing line with the counts.
 *
 * Every storage and API suite runs against SQLite and PostgreSQL. Without TESSERA_TEST_DATABASE_URL
 * a throwaway PostgreSQL cluster is started for the run and removed afterwards.
 *
 * Arguments narrow the run to files matching a glob, e.g. `npm test -- 'packages/codes/**'`.
 */
const root = resolve(import.meta.dirname, "..");
const coverageDir = resolve(root, ".code-coverage");
rmSync(coverageDir, { recursive: true, force: true });
process.env.TESSERA_CODE_COVERAGE_DIR = coverageDir;

const cluster = process.env.TESSERA_TEST_DATABASE_URL ? undefined : await startThrowawayPostgres();
if (cluster !== undefined) process.env.TESSERA_TEST_DATABASE_URL = cluster.url;
process.once("exit", () => cluster?.stop());
process.once("SIGINT", () => process.exit(130));

const patterns = process.argv.slice(2);
const globPatterns = patterns.length > 0 ? patterns : ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"];

let passed = 0;
let failed = 0;
const stream = run({
  cwd: root,
  globPatterns,
  concurrency: availableParallelism(),
  // A hung test fails instead of hanging CI.
  timeout: 120_000,
});
stream.on("test:pass", (event) => {
  if (event.details.type !== "suite") passed += 1;
});
stream.on("test:fail", (event) => {
  if (event.details.type !== "suite") failed += 1;
});
stream.compose(spec).pipe(process.stdout);

await new Promise((done) => stream.once("end", done));

const { computeCoverage, formatCoverage } = await import("../packages/codes/src/coverage/coverage-report.ts");
const { readObservations } = await import("../packages/codes/src/coverage/observed-codes.ts");
console.log(`\n${formatCoverage(computeCoverage(readObservations(coverageDir)))}\n`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
