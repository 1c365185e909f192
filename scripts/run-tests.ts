import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { resolve } from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { ensureTestTools } from "./lib/ensure-test-tools.ts";
import { startThrowawayPostgres } from "./lib/throwaway-postgres.ts";

/**
 * The test command: every package's node:test suites, one process per file, then the status-code
 * coverage report and gate (PRODUCT.md §1), then one closing line with the counts.
 *
 * Every storage and API suite runs against SQLite and PostgreSQL. Without TESSERA_TEST_DATABASE_URL
 * a throwaway PostgreSQL cluster is started for the run and removed afterwards.
 *
 * Arguments narrow the run to files matching a glob, e.g. `npm test -- 'packages/codes/**'`. Only a
 * full run enforces the coverage gate: a narrowed run cannot observe every code, so it only reports.
 * A full run also checks that every code a test observed over HTTP is documented in /openapi.json
 * for the operation that answered it (packages/server/test/helpers/documented-codes-gate.ts).
 */
// oathtool, PostgreSQL and Chromium first: installed when missing, or the one command that does.
ensureTestTools();

const root = resolve(import.meta.dirname, "..");
const coverageDir = resolve(root, ".code-coverage");
rmSync(coverageDir, { recursive: true, force: true });
process.env.TESSERA_CODE_COVERAGE_DIR = coverageDir;

// A command run without --data-dir uses the user's data home (~/.local/share/tessera): the tests
// get a throwaway one instead, so that no test ever writes into a real home directory.
const dataHome = mkdtempSync(resolve(tmpdir(), "tessera-test-data-home-"));
process.env.XDG_DATA_HOME = dataHome;
// The identity client's store defaults to the user's state home: a throwaway one too.
process.env.XDG_STATE_HOME = resolve(dataHome, "state");
// …and its key in a key file there, never in the developer's own keyring (store-keyring.test.ts
// starts a private Secret Service for the test of that path).
process.env.TESSERA_IDENTITY_KEY_STORE = "file";
process.once("exit", () => rmSync(dataHome, { recursive: true, force: true }));

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

const { computeCoverage, coverageGate, formatCoverage } = await import(
  "../packages/codes/src/coverage/coverage-report.ts"
);
const { readObservations } = await import("../packages/codes/src/coverage/observed-codes.ts");
const observations = readObservations(coverageDir);
const coverage = computeCoverage(observations);
console.log(`\n${formatCoverage(coverage)}\n`);
const fullRun = patterns.length === 0;
const problems = coverageGate(coverage);
if (fullRun) problems.push(...(await undocumentedCodes()).map((line) => `OpenAPI: ${line}`));
const gateFails = fullRun && problems.length > 0;
if (fullRun) for (const problem of problems) console.log(`coverage gate FAILED: ${problem}`);
else
  console.log(
    "coverage gate not enforced: the run was narrowed to some files, so it cannot observe every code",
  );
console.log(`tests: ${passed} passed, ${failed} failed${gateFails ? "; coverage gate failed" : ""}`);
process.exitCode = failed > 0 || passed === 0 || gateFails ? 1 : 0;

/** Observed (route, status, code) triples that the served /openapi.json does not document. */
async function undocumentedCodes(): Promise<string[]> {
  const { servedDocument } = await import("../packages/server/test/helpers/openapi-document.ts");
  const { documentedCodesGate } = await import("../packages/server/test/helpers/documented-codes-gate.ts");
  return documentedCodesGate(observations, await servedDocument());
}
