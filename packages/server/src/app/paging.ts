import { TesseraApiCode, TesseraError } from "@tessera/codes";

/**
 * One paging convention for every collection GET: `limit` (1…max, a per-route default) and an
 * opaque `cursor`; the answer carries `nextCursor`, null on the last page. Lists never cut off
 * silently: a caller follows `nextCursor` until it is null and sees every row exactly once.
 *
 * Paging is by key set, not offset: the cursor holds the sort key of the last row served, so rows
 * added or removed between pages neither repeat nor skip the rows that stay. The cursor is opaque
 * (base64url of a JSON array) so its content can change without breaking callers; it grants
 * nothing, since every query still filters by the caller's tenant.
 */

export type CursorKey = readonly (string | number)[];

const MAX_CURSOR_LENGTH = 600;

/** Query-string properties for `limit` and `cursor`; spread them into a route's querystring schema. */
export function pageQueryProperties(defaultLimit: number, maxLimit: number) {
  return {
    limit: {
      type: "integer",
      minimum: 1,
      maximum: maxLimit,
      description: `rows per page, 1–${maxLimit}; ${defaultLimit} when absent`,
    },
    cursor: {
      type: "string",
      maxLength: MAX_CURSOR_LENGTH,
      pattern: "^[A-Za-z0-9_-]*$",
      description: "the `nextCursor` of the previous page; absent for the first page",
    },
  } as const;
}

/** The response property that says where the next page starts. */
export const nextCursorProperty = {
  nextCursor: {
    type: ["string", "null"],
    description: "pass as `cursor` to read the next page; null on the last page",
  },
} as const;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

const foreignCursor = (field: string) =>
  new TesseraError(TesseraApiCode.MalformedRequest, {
    message: `${field} is not a cursor this list gave out; pass nextCursor unchanged`,
    field,
  });

/**
 * The sort key a cursor carries, checked against the shape the route expects (`string` or
 * `number` per position). A cursor that was not made by this route is a 400 naming the field,
 * never a query with a wrongly typed key.
 */
export function decodeCursor(
  cursor: string | undefined,
  shape: readonly ("string" | "number")[],
  field = "querystring.cursor",
): CursorKey | undefined {
  if (cursor === undefined) return undefined;
  const refuse = () => foreignCursor(field);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(key) || key.length !== shape.length) throw refuse();
  for (const [i, part] of key.entries()) {
    const ok = shape[i] === "number" ? Number.isSafeInteger(part) : isCleanText(part);
    if (!ok) throw refuse();
  }
  // Only the exact text this module gave out: base64 decoding ignores stray trailing characters
  // and JSON ignores spacing, so a cursor must also encode back to itself.
  if (encodeCursor(key as CursorKey) !== cursor) throw refuse();
  return key as CursorKey;
}

/**
 * A key part this module could have given out: sort keys are names, ids and dates, never control
 * characters (NUL is a 500 on PostgreSQL, which cannot store it) or lone surrogates (which are not
 * text at all), so a cursor holding one is forged.
 */
function isCleanText(part: unknown): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  return typeof part === "string" && !/[\u0000-\u001f\u007f]/.test(part) && part.isWellFormed();
}

/**
 * Cuts one page from rows fetched with `limit + 1`: the extra row only tells that another page
 * exists. `keyOf` gives the sort key of a row, which the next page continues after.
 */
export function pageOf<Row>(
  rows: readonly Row[],
  limit: number,
  keyOf: (row: Row) => CursorKey,
): { readonly page: Row[]; readonly nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    page,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}

/**
 * A list's cursors, bound to the list by its name: the name travels as the first part of the key,
 * so a cursor of another list (whose key may have the same shape) is refused as a 400 instead of
 * being read as a position in this one.
 */
export function listCursor(list: string, shape: readonly ("string" | "number")[]) {
  return {
    decode(cursor: string | undefined): CursorKey | undefined {
      const key = decodeCursor(cursor, ["string", ...shape]);
      if (key === undefined) return undefined;
      if (key[0] !== list) throw foreignCursor("querystring.cursor");
      return key.slice(1);
    },
    page<Row>(rows: readonly Row[], limit: number, keyOf: (row: Row) => CursorKey) {
      return pageOf(rows, limit, (row) => [list, ...keyOf(row)]);
    },
  };
}

/**
 * Every row of a list, read page by page through `read` (which gets the key to continue after),
 * for the command line: it shows everything, never a first page only.
 */
export async function readAllPages<Row>(
  read: (after: CursorKey | undefined, limit: number) => Promise<readonly Row[]>,
  keyOf: (row: Row) => CursorKey,
  pageSize = 500,
): Promise<Row[]> {
  const all: Row[] = [];
  let after: CursorKey | undefined;
  for (;;) {
    const rows = await read(after, pageSize);
    all.push(...rows);
    const last = rows.at(-1);
    if (rows.length < pageSize || last === undefined) return all;
    after = keyOf(last);
  }
}
