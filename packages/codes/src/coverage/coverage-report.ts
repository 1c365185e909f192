import { catalogs } from "../catalog.ts";
import type { CatalogId, CodeInfo } from "../code-info.ts";
import type { Observation } from "./observed-codes.ts";

export interface CatalogCoverage {
  readonly catalog: CatalogId;
  /** How many codes are declared reachable, and how many of those were observed. */
  readonly reachable: number;
  readonly observed: number;
  /** Reachable but never observed: the gate fails. */
  readonly missing: readonly CodeInfo[];
  /** Planned and not observed: expected until their feature is built. */
  readonly planned: readonly CodeInfo[];
  /** Planned yet observed: the feature exists, so the table must call it reachable. */
  readonly plannedObserved: readonly CodeInfo[];
  readonly unreachable: readonly CodeInfo[];
  /** Declared impossible yet observed: a defect, or a table that is wrong. */
  readonly unreachableObserved: readonly CodeInfo[];
}

export const catalogTitles: { readonly [C in CatalogId]: string } = {
  api: "API return codes",
  identity: "identity status codes",
  credential: "credential statuses",
};

/** Observed codes against each catalog's declared reachability. */
export function computeCoverage(observations: readonly Observation[]): CatalogCoverage[] {
  return (Object.keys(catalogs) as CatalogId[]).map((catalog) => {
    const seen = new Set(observations.filter((o) => o.catalog === catalog).map((o) => o.value));
    const entries = catalogs[catalog];
    const of = (kind: CodeInfo["reachability"]["kind"]) =>
      entries.filter((info) => info.reachability.kind === kind);
    const reachable = of("reachable");
    return {
      catalog,
      reachable: reachable.length,
      observed: reachable.filter((info) => seen.has(info.value)).length,
      missing: reachable.filter((info) => !seen.has(info.value)),
      planned: of("planned").filter((info) => !seen.has(info.value)),
      plannedObserved: of("planned").filter((info) => seen.has(info.value)),
      unreachable: of("unreachable"),
      unreachableObserved: of("unreachable").filter((info) => seen.has(info.value)),
    };
  });
}

const named = (codes: readonly CodeInfo[]) => codes.map((info) => `${info.value} ${info.key}`).join(", ");

/**
 * The coverage gate of a full test run: one line per broken rule, none when the table holds.
 * A reachable code nobody observed is an untested behaviour; a planned or unreachable code that
 * was observed means the table no longer tells the truth.
 */
export function coverageGate(coverage: readonly CatalogCoverage[]): string[] {
  const problems: string[] = [];
  for (const c of coverage) {
    const title = catalogTitles[c.catalog];
    if (c.missing.length > 0)
      problems.push(`${title}: reachable but never observed by an end-to-end test: ${named(c.missing)}`);
    if (c.plannedObserved.length > 0)
      problems.push(
        `${title}: marked planned but observed; flip them to reachable in packages/codes/src/catalogs/reachability.ts: ${named(c.plannedObserved)}`,
      );
    if (c.unreachableObserved.length > 0)
      problems.push(`${title}: marked unreachable but observed: ${named(c.unreachableObserved)}`);
  }
  return problems;
}

function wrap(words: readonly string[], indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && indent.length + line.length + word.length + 2 > width) {
      lines.push(`${indent}${line},`);
      line = "";
    }
    line = line === "" ? word : `${line}, ${word}`;
  }
  if (line !== "") lines.push(`${indent}${line}`);
  return lines;
}

function byFeature(planned: readonly CodeInfo[]): Map<string, CodeInfo[]> {
  const groups = new Map<string, CodeInfo[]>();
  for (const info of planned) {
    if (info.reachability.kind !== "planned") continue;
    const group = groups.get(info.reachability.feature) ?? [];
    group.push(info);
    groups.set(info.reachability.feature, group);
  }
  return groups;
}

/** The human-readable report printed after the test suite. */
export function formatCoverage(coverage: readonly CatalogCoverage[]): string {
  const lines = ["Status-code coverage (codes observed by end-to-end tests / codes marked reachable):"];
  for (const c of coverage) {
    lines.push(`  ${catalogTitles[c.catalog]}: ${c.observed} / ${c.reachable} observed`);
    if (c.missing.length > 0) {
      lines.push(`    never observed (${c.missing.length}):`);
      lines.push(
        ...wrap(
          c.missing.map((info) => `${info.value} ${info.key}`),
          "      ",
        ),
      );
    }
    if (c.planned.length > 0) lines.push(`    planned, not built yet (${c.planned.length}):`);
    for (const [feature, codes] of byFeature(c.planned))
      lines.push(`      ${feature}: ${codes.map((info) => info.value).join(", ")}`);
    for (const info of c.unreachable)
      if (info.reachability.kind === "unreachable")
        lines.push(`    unreachable: ${info.value} ${info.key}: ${info.reachability.why}`);
  }
  const missing = coverage.reduce((sum, c) => sum + c.missing.length, 0);
  lines.push(
    missing === 0
      ? "  Every reachable code was observed."
      : `  ${missing} reachable ${missing === 1 ? "code was" : "codes were"} never observed by an end-to-end test.`,
  );
  return lines.join("\n");
}
