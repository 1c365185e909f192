import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";

/**
 * NUL (U+0000) is refused in every query-string, path and JSON-body string, keys included, before
 * validation: PostgreSQL text cannot hold it (a NUL reaching a query is a 500 there, while SQLite
 * takes it), so nothing legitimate is lost, and refusing it in one place keeps every route, and
 * every route still to come, from depending on the database to notice.
 */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  for (const [context, value] of [
    ["params", request.params],
    ["querystring", request.query],
    ["body", request.body],
  ] as const) {
    const field = fieldWithNul(value, context);
    if (field !== undefined)
      throw new TesseraError(TesseraApiCode.MalformedRequest, {
        message: `${field} contains a NUL character (U+0000), which no field accepts.`,
        field,
      });
  }
}

const MAX_ECHOED_NAME = 100;
const hasNul = (text: string) => text.includes("\u0000");
// The field is named without its NUL (and cut), so the answer is valid text for every client.
const shown = (name: string) => name.replaceAll("\u0000", "\\u0000").slice(0, MAX_ECHOED_NAME);

/**
 * The full path of the first string with a NUL, or undefined. Iterative, not recursive: a body of
 * 64 KiB may nest thousands of levels deep, more than the call stack holds.
 */
function fieldWithNul(root: unknown, context: string): string | undefined {
  const pending: [unknown, string][] = [[root, context]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === "string") {
      if (hasNul(value)) return path;
    } else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = `${path}.${shown(key)}`;
        if (hasNul(key)) return childPath;
        pending.push([child, childPath]);
      }
    }
  }
  return undefined;
}
