import { catalogs } from "../catalog.ts";
import type { CatalogId, CodeInfo } from "../code-info.ts";
import type { Observation } from "./observed-codes.ts";

export interface CatalogCoverage {
  readonly catalog: CatalogId;
  readonly reachable: number;
  readonly observed: number;
  readonly missing: readonly CodeInfo[];
  readonly unreachable: readonly CodeInfo[];
}

export const catalogTitles: { readonly [C in CatalogId]: string } = {
  api: "API return codes",
  identity: "identity status codes",
  credential: "credential statuses",
};

/** Observed versus reachable codes, per catalog. */
export function computeCoverage(observations: readonly Observation[]): CatalogCoverage[] {
  return (Object.keys(catalogs) as CatalogId[]).map((catalog) => {
    const seen = new Set(observations.filter((o) => o.catalog === catalog).map((o) => o.value));
    const entries = catalogs[catalog];
    const reachable = entries.filter((info) => info.reachable);
    return {
      catalog,
      reachable: reachable.length,
      observed: reachable.filter((info) => seen.has(info.value)).length,
      missing: reachable.filter((info) => !seen.has(info.value)),
      unreachable: entries.filter((info) => !info.reachable),
    };
  });
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
    for (const info of c.unreachable)
      lines.push(`    unreachable: ${info.value} ${info.key}: ${info.why ?? ""}`);
  }
  const missing = coverage.reduce((sum, c) => sum + c.missing.length, 0);
  lines.push(
    missing === 0
      ? "  Every reachable code was observed."
      : `  ${missing} reachable codes have no end-to-end test yet: their behaviours are not built or not tested.`,
  );
  return lines.join("\n");
}
