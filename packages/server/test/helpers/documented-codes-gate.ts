import { byValue } from "@tessera/codes";
import type { Observation } from "@tessera/codes/coverage";
import { type OpenApiDocument, type Operation, operationsOf } from "./openapi-document.ts";

/**
 * The documented-codes gate of a full test run: every API code a test observed through HTTP must
 * be documented in /openapi.json for the operation that answered it, under the HTTP status it
 * came with. The observed path is resolved to its route template as Fastify's router does
 * (a static segment wins over a parameter), so `/v1/users/import` is not `/v1/users/{username}`.
 * Codes recorded without their request (CLI output, raw sockets) are not checked here.
 */

/** Codes the router answers for a path that names no operation. */
const unrouted = new Set([9903, 9904]);

type Template = { readonly segments: readonly string[]; readonly path: string };

const isParameter = (segment: string) => segment.startsWith("{") && segment.endsWith("}");

/** The template a concrete path belongs to, among those of one method. */
function resolve(templates: readonly Template[], path: string): string | undefined {
  const segments = path.split("/");
  const matching = templates.filter(
    (t) =>
      t.segments.length === segments.length &&
      // A parameter takes any segment, even an empty one, as find-my-way does (`/v1/api-keys/`).
      t.segments.every((s, i) => isParameter(s) || s === segments[i]),
  );
  // At the first segment where two candidates differ, the static one wins (find-my-way's order).
  matching.sort((a, b) => {
    for (let i = 0; i < a.segments.length; i++) {
      const [x, y] = [isParameter(a.segments[i] ?? ""), isParameter(b.segments[i] ?? "")];
      if (x !== y) return x ? 1 : -1;
    }
    return 0;
  });
  return matching[0]?.path;
}

/** (status key, code) pairs an operation documents, read from its response examples (errorCode and a success's outcome.code). */
function documentedPairs(operation: Operation): { status: string; code: number }[] {
  return Object.entries(operation.responses ?? {}).flatMap(([status, response]) =>
    Object.values(response.content ?? {}).flatMap((media) =>
      Object.values(media.examples ?? {}).flatMap((example) => {
        const value = example.value as { errorCode?: unknown; outcome?: { code?: unknown } } | undefined;
        return [value?.errorCode, value?.outcome?.code].flatMap((code) =>
          typeof code === "number" ? [{ status, code }] : [],
        );
      }),
    ),
  );
}

const covers = (key: string, status: number) =>
  key === String(status) || (key.toUpperCase().endsWith("XX") && key[0] === String(status)[0]);

/** One line per (operation, status, code) observed but not documented; none when all are. */
export function documentedCodesGate(observations: readonly Observation[], doc: OpenApiDocument): string[] {
  const operations = new Map(operationsOf(doc).map((o) => [o.key, o.operation]));
  const templates = new Map<string, Template[]>();
  for (const { key, path } of operationsOf(doc)) {
    const method = key.split(" ")[0] ?? "";
    templates.set(method, [...(templates.get(method) ?? []), { segments: path.split("/"), path }]);
  }
  const problems = new Map<string, string[]>();
  for (const o of observations) {
    if (o.catalog !== "api" || o.request === undefined) continue;
    const { method, path, status } = o.request;
    const template = resolve(templates.get(method) ?? [], path);
    const name = `${byValue("api", o.value)?.name ?? "?"} (${o.value})`;
    let problem: string | undefined;
    if (template === undefined) {
      if (!unrouted.has(o.value))
        problem = `${method} ${path} answered ${status} ${name}, but no operation of /openapi.json matches that path`;
    } else {
      const key = `${method} ${template}`;
      const pairs = documentedPairs(operations.get(key) ?? {}).filter((p) => p.code === o.value);
      if (!pairs.some((p) => covers(p.status, status)))
        problem =
          pairs.length === 0
            ? `${key} answered ${status} ${name}, which /openapi.json does not document for it: add it to the operation's entry in its domain's *-operations.ts`
            : `${key} answered ${name} with HTTP ${status}, but /openapi.json documents it under ${pairs.map((p) => p.status).join(", ")}`;
    }
    if (problem !== undefined) problems.set(problem, [...(problems.get(problem) ?? []), o.source]);
  }
  return [...problems].map(([problem, sources]) => {
    const tests = [...new Set(sources)];
    return `${problem} (seen in: ${tests.slice(0, 3).join("; ")}${tests.length > 3 ? `; +${tests.length - 3} more` : ""})`;
  });
}
