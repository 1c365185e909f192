import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { catalogs } from "@tessera/codes";

/**
 * The README's table of built and planned features stays true: its planned rows are exactly the
 * features that the catalog's planned codes name (the coverage gate in turn fails when a planned
 * code is observed, so a feature that gets built must move to "built" here and in the catalog).
 */
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

function featureTable(): { feature: string; status: string }[] {
  const section = readme.split("## What is built and what is planned\n")[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| feature") && !line.startsWith("| ---"))
    .map((line) => {
      const [feature = "", status = ""] = line.slice(2, -2).split(" | ");
      return { feature, status };
    });
}

/** A catalog feature reads "name (issue N)"; the README puts the issue in the status column. */
function readmeName(row: { feature: string; status: string }): string {
  const issue = /^planned \((issue \d+)\)$/.exec(row.status)?.[1];
  return issue === undefined ? row.feature : `${row.feature} (${issue})`;
}

const plannedFeatures = new Set(
  Object.values(catalogs)
    .flat()
    .flatMap((info) => (info.reachability.kind === "planned" ? [info.reachability.feature] : [])),
);

test("the README has a feature table whose every row is built or planned", () => {
  const rows = featureTable();
  assert.ok(rows.length >= plannedFeatures.size + 5, "the table lists built features and planned ones");
  for (const row of rows) assert.match(row.status, /^(built|planned|planned \(issue \d+\))$/, row.feature);
});

test("the README's planned features are exactly the features the catalog's planned codes name", () => {
  const readmePlanned = new Set(
    featureTable()
      .filter((row) => row.status.startsWith("planned"))
      .map(readmeName),
  );
  assert.deepEqual(
    [...plannedFeatures].filter((feature) => !readmePlanned.has(feature)),
    [],
    "planned in the catalog, not in the README",
  );
  assert.deepEqual(
    [...readmePlanned].filter((feature) => !plannedFeatures.has(feature)),
    [],
    "planned in the README, no planned code names it",
  );
});

test("no built feature of the README is one that planned codes still wait for", () => {
  for (const row of featureTable().filter((r) => r.status === "built")) {
    const named = [...plannedFeatures].some((feature) => feature.startsWith(row.feature));
    assert.equal(named, false, `${row.feature} is built in the README but planned in the catalog`);
  }
});
