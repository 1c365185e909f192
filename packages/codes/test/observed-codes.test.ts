import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe as suite, test } from "node:test";
import { computeCoverage, formatCoverage } from "../src/coverage/coverage-report.ts";
import {
  COVERAGE_DIR_VARIABLE,
  readObservations,
  recordObservedCode,
  recordObservedEnvelope,
} from "../src/coverage/observed-codes.ts";
import { catalogs } from "../src/index.ts";

suite("status-code coverage harness", () => {
  let dir = "";
  let previous: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tessera-codes-"));
    previous = process.env[COVERAGE_DIR_VARIABLE];
    process.env[COVERAGE_DIR_VARIABLE] = dir;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env[COVERAGE_DIR_VARIABLE];
    else process.env[COVERAGE_DIR_VARIABLE] = previous;
    rmSync(dir, { recursive: true, force: true });
  });

  test("an answer's published outcome counts as observed, next to its errorCode 0", () => {
    assert.equal(
      recordObservedEnvelope({ errorCode: 0, outcome: { code: 9045, name: "Provisioned" } }, "a"),
      true,
    );
    assert.equal(recordObservedEnvelope({ errorCode: 9002 }, "b"), true);
    assert.equal(recordObservedEnvelope({ unrelated: 1 }, "c"), false);
    assert.deepEqual(
      readObservations(dir).map((o) => o.value),
      [0, 9045, 9002],
    );
    const [api] = computeCoverage(readObservations(dir));
    assert.equal(api?.observed, 3);
  });

  test("records observations and counts each code once per catalog", () => {
    recordObservedCode("api", 9000, "a");
    recordObservedCode("api", 9000, "b");
    recordObservedCode("credential", 410, "c");
    assert.equal(readObservations(dir).length, 3);
    const [api, identity, credential] = computeCoverage(readObservations(dir));
    assert.equal(api?.observed, 1);
    const reachable = catalogs.api.filter((c) => c.reachability.kind === "reachable").length;
    assert.equal(api?.reachable, reachable);
    assert.equal(api?.missing.length, reachable - 1);
    assert.deepEqual(
      api?.unreachable.map((c) => c.key),
      ["InternalError"],
    );
    assert.equal(identity?.observed, 0);
    assert.equal(credential?.observed, 1);
  });

  test("the report says honestly what was never observed, and what is planned for which feature", () => {
    recordObservedCode("identity", 0, "a");
    const text = formatCoverage(computeCoverage(readObservations(dir)));
    const reachable = catalogs.identity.filter((c) => c.reachability.kind === "reachable");
    assert.match(text, new RegExp(`identity status codes: 1 / ${reachable.length} observed`));
    assert.match(text, new RegExp(`never observed \\(${reachable.length - 1}\\):\\n\\s+-1 Failed, `));
    // Under the heading, each planned feature on a line of its own with its codes.
    assert.match(
      text,
      /planned, not built yet \(\d+\):\n(?:\s+.*: [\d, ]+\n)*?\s+directory sync: [^\n]+: \d+/,
    );
    assert.match(text, /\d+ reachable codes were never observed by an end-to-end test/);
  });

  test("a complete run says so", () => {
    for (const [catalog, entries] of Object.entries(catalogs)) {
      for (const info of entries)
        if (info.reachability.kind === "reachable") recordObservedCode(catalog as "api", info.value, "all");
    }
    assert.match(formatCoverage(computeCoverage(readObservations(dir))), /Every reachable code was observed/);
  });

  test("recording a code the catalog does not have is a test bug", () => {
    assert.throws(() => recordObservedCode("api", 9024, "x"), RangeError);
    assert.throws(() => recordObservedCode("credential", 9000, "x"), RangeError);
  });
});
