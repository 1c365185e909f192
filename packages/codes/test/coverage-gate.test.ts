import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe as suite, test } from "node:test";
import { computeCoverage, coverageGate } from "../src/coverage/coverage-report.ts";
import type { Observation } from "../src/coverage/observed-codes.ts";
import { type CatalogId, type CodeInfo, catalogs } from "../src/index.ts";

/** Observations of every code of the given kind, in every catalog. */
function observe(kind: CodeInfo["reachability"]["kind"]): Observation[] {
  return (Object.keys(catalogs) as CatalogId[]).flatMap((catalog) =>
    catalogs[catalog]
      .filter((info) => info.reachability.kind === kind)
      .map((info) => ({ catalog, value: info.value, source: "gate test" })),
  );
}

const first = (kind: CodeInfo["reachability"]["kind"]) => {
  const info = catalogs.api.find((c) => c.reachability.kind === kind);
  assert.ok(info, `the API catalog has a ${kind} code`);
  return info;
};

suite("the status-code coverage gate", () => {
  test("every reachable code observed and nothing planned or unreachable seen: the gate passes", () => {
    assert.deepEqual(coverageGate(computeCoverage(observe("reachable"))), []);
  });

  test("a reachable code nobody observed fails the gate, naming the code", () => {
    const gap = first("reachable");
    const observations = observe("reachable").filter((o) => !(o.catalog === "api" && o.value === gap.value));
    const problems = coverageGate(computeCoverage(observations));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? "", new RegExp(`never observed .*\\b${gap.value} ${gap.key}\\b`));
  });

  test("a planned code that was not observed is fine", () => {
    const coverage = computeCoverage(observe("reachable"));
    assert.ok((coverage[0]?.planned.length ?? 0) > 0, "the API catalog has planned codes today");
    assert.deepEqual(coverageGate(coverage), []);
  });

  test("a planned code that was observed fails the gate and says to flip it to reachable", () => {
    const built = first("planned");
    const observations = [
      ...observe("reachable"),
      { catalog: "api" as const, value: built.value, source: "x" },
    ];
    const problems = coverageGate(computeCoverage(observations));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? "", /planned but observed; flip them to reachable/);
    assert.match(problems[0] ?? "", new RegExp(`\\b${built.value} ${built.key}\\b`));
  });

  test("an unreachable code that was observed fails the gate", () => {
    const impossible = first("unreachable");
    const observations = [
      ...observe("reachable"),
      { catalog: "api" as const, value: impossible.value, source: "x" },
    ];
    assert.match(
      coverageGate(computeCoverage(observations)).join("\n"),
      /unreachable but observed: 9908 InternalError/,
    );
  });

  test("coverage:codes --strict exits non-zero on a gap and zero on a complete run", () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-gate-"));
    const script = new URL("../scripts/coverage-report.ts", import.meta.url).pathname;
    const strict = () =>
      spawnSync(process.execPath, [script, "--strict"], {
        encoding: "utf8",
        env: { ...process.env, TESSERA_CODE_COVERAGE_DIR: dir },
      });
    try {
      const all = observe("reachable");
      const write = (observations: Observation[]) =>
        writeFileSync(
          join(dir, "observed-1.jsonl"),
          observations.map((o) => `${JSON.stringify(o)}\n`).join(""),
        );
      write(all.slice(1));
      const gap = strict();
      assert.equal(gap.status, 1, gap.stderr);
      assert.match(gap.stdout, /coverage gate FAILED: .*never observed/);
      write(all);
      const complete = strict();
      assert.equal(complete.status, 0, complete.stdout + complete.stderr);
      assert.match(complete.stdout, /Every reachable code was observed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
