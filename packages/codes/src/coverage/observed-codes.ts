import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CatalogId } from "../code-info.ts";
import { byValue } from "../lookup.ts";

/**
 * Records which status codes end-to-end tests observed through a public interface (PRODUCT.md §1).
 *
 * Test files run in separate processes, so each process appends JSON lines to its own file in the
 * directory named by TESSERA_CODE_COVERAGE_DIR; the report merges them. Without that variable the
 * recorder does nothing, so library users never write files by accident.
 */
export const COVERAGE_DIR_VARIABLE = "TESSERA_CODE_COVERAGE_DIR";

export interface Observation {
  readonly catalog: CatalogId;
  readonly value: number;
  /** Which scenario produced it: the test's name or the interface used. */
  readonly source: string;
  /** The HTTP request that answered it, where there was one: its method, path and status. */
  readonly request?: ObservedRequest;
}

export interface ObservedRequest {
  readonly method: string;
  /** The path as requested, without the query string (a route template is resolved later). */
  readonly path: string;
  readonly status: number;
}

/** Records that an end-to-end test saw `value`; an unknown code is a test bug and throws. */
export function recordObservedCode(
  catalog: CatalogId,
  value: number,
  source: string,
  request?: ObservedRequest,
): void {
  if (byValue(catalog, value) === undefined) {
    throw new RangeError(`observed ${value}, which is not a code of the ${catalog} catalog`);
  }
  const dir = process.env[COVERAGE_DIR_VARIABLE];
  if (dir === undefined || dir === "") return;
  mkdirSync(dir, { recursive: true });
  const observation: Observation = { catalog, value, source, ...(request === undefined ? {} : { request }) };
  const line = `${JSON.stringify(observation)}\n`;
  appendFileSync(join(dir, `observed-${process.pid}.jsonl`), line);
}

/**
 * Records the codes of one API answer: its `errorCode`, and the published outcome a success
 * carries beside errorCode 0 (`outcome: {code, name}`, e.g. 9045 Provisioned), which is observed
 * as much as an errorCode is. Returns whether the answer carried an envelope at all.
 */
export function recordObservedEnvelope(body: unknown, source: string, request?: ObservedRequest): boolean {
  if (typeof body !== "object" || body === null) return false;
  const { errorCode, outcome } = body as { errorCode?: unknown; outcome?: { code?: unknown } | null };
  if (typeof errorCode !== "number") return false;
  recordObservedCode("api", errorCode, source, request);
  if (typeof outcome?.code === "number") recordObservedCode("api", outcome.code, source, request);
  return true;
}

/** Every observation recorded in `dir` by any process. */
export function readObservations(dir: string): Observation[] {
  if (!existsSync(dir)) return [];
  const observations: Observation[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".jsonl"))) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (line.trim() !== "") observations.push(JSON.parse(line) as Observation);
    }
  }
  return observations;
}
