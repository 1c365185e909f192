import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { cutText } from "./echoed-text.ts";

/**
 * NUL (U+0000) is refused in every query-string, path and JSON-body string, keys included, before
 * validation: PostgreSQL text cannot hold it (a NUL reaching a query is a 500 there, while SQLite
 * takes it), so nothing legitimate is lost, and refusing it in one place keeps every route, and
 * every route still to come, from depending on the database to notice. A lone surrogate (JSON's
 * "\ud800" without its pair) is refused alike: it is no character, and the database would
 * silently store U+FFFD in its place, so what is read back would differ from what was sent.
 */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  for (const [context, value] of [
    ["params", request.params],
    ["querystring", request.query],
    ["body", request.body],
  ] as const) {
    const found = fieldWithNul(value, context);
    if (found !== undefined) {
      const [field, text] = found;
      const what = text.includes("\u0000")
        ? "a NUL character (U+0000)"
        : "a lone surrogate (U+D800 to U+DFFF without its pair)";
      throw new TesseraError(TesseraApiCode.MalformedRequest, {
        message: `${field} contains ${what}, which no field accepts.`,
        field,
      });
    }
  }
}

const MAX_ECHOED_NAME = 100;
// A surrogate not part of a pair (with the u flag a pair is one code point, not \p{Cs}).
const loneSurrogate = /\p{Cs}/gu;
const refused = (text: string) => text.includes("\u0000") || !text.isWellFormed();
// The field is named without its NUL or lone surrogate (escaped, and cut on a code point), so the
// answer is valid text for every client.
const shown = (name: string) =>
  cutText(
    name.replaceAll("\u0000", "\\u0000").replace(loneSurrogate, (c) => `\\u${c.charCodeAt(0).toString(16)}`),
    MAX_ECHOED_NAME,
  );

/**
 * The full path of the first string with a NUL or a lone surrogate, and that string, or undefined.
 * Iterative, not recursive: a body of 64 KiB may nest thousands of levels deep, more than the
 * call stack holds.
 */
function fieldWithNul(root: unknown, context: string): [string, string] | undefined {
  const pending: [unknown, string][] = [[root, context]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === "string") {
      if (refused(value)) return [path, value];
    } else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = `${path}.${shown(key)}`;
        if (refused(key)) return [childPath, key];
        pending.push([child, childPath]);
      }
    }
  }
  return undefined;
}
