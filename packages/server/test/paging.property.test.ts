import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import fc from "fast-check";
import { encodeCursor } from "../src/app/paging.ts";
import { linkFlags } from "./helpers/link.ts";
import { type Filled, type Key, type PagedList, pagedLists } from "./helpers/paged-lists.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Every collection GET pages the same way: `limit` and an opaque `cursor` in, `nextCursor` out.
 * Following `nextCursor` from the first page to null shows every row exactly once, in the list's
 * order, whatever the row count and page size; a cursor another list or tenant gave out reveals
 * nothing; extremes of `limit` are a 400 naming it. Rows share timestamps on purpose, so that a
 * list sorted by time alone would split or repeat them at a page boundary.
 *
 * Fixed seed, like the other property tests: CI sees the same inputs every run (TESSERA_FUZZ_SEED
 * explores others locally).
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;
const scenario = "paging: property";

type Page = { status: number; body: Record<string, unknown> & { errorCode: number; field?: string } };

const withQuery = (path: string, query: string) => `${path}${path.includes("?") ? "&" : "?"}${query}`;

for (const backend of backends) {
  suite(`every collection GET pages with limit, cursor and nextCursor (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend, { flags: linkFlags });
    });
    after(() => s.close());

    const get = (apiKey: string, path: string): Promise<Page> => s.api("GET", path, { apiKey, scenario });

    /** A fresh tenant whose list `list` holds `count` rows (plus the decoys its filter excludes). */
    async function filled(list: PagedList, count: number, offsets: readonly number[]) {
      const { tenant, apiKey } = await s.tenant();
      const db = s.server.ctx.database.db;
      const rows = await list.fill({ server: s, db, tenantId: tenant.id, apiKey, count, offsets });
      return { apiKey, rows };
    }

    /** Follows nextCursor from the first page to the end; checks every page on the way. */
    async function readAll(list: PagedList, apiKey: string, rows: Filled, limit: number | undefined) {
      const seen: Key[] = [];
      let cursor: string | null = null;
      let pages = 0;
      const pageSize = limit ?? list.defaultLimit;
      do {
        const query = [
          ...(limit === undefined ? [] : [`limit=${limit}`]),
          ...(cursor === null ? [] : [`cursor=${cursor}`]),
        ].join("&");
        const page = await get(apiKey, query === "" ? rows.path : withQuery(rows.path, query));
        assert.equal(page.status, 200, `${list.name} page ${pages + 1}: ${JSON.stringify(page.body)}`);
        const items = page.body[list.items] as Record<string, unknown>[];
        assert.ok(items.length <= pageSize, `${list.name}: a page holds at most ${pageSize} rows`);
        seen.push(...items.map(list.idOf));
        cursor = page.body.nextCursor as string | null;
        assert.ok(cursor === null || items.length === pageSize, `${list.name}: only the last page is short`);
        pages += 1;
        assert.ok(pages <= rows.expected.length + 1, `${list.name}: nextCursor ends`);
      } while (cursor !== null);
      assert.equal(
        pages,
        Math.max(1, Math.ceil(rows.expected.length / pageSize)),
        `${list.name}: no empty last page`,
      );
      return seen;
    }

    for (const list of pagedLists) {
      test(`${list.name}: more rows than a page, followed to the end, each row once and in order`, async () => {
        const max = list.fixedSize === undefined ? 9 : list.fixedSize - 1;
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max }),
            fc.integer({ min: 1, max: 14 }),
            fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }),
            async (limit, extra, offsets) => {
              const { apiKey, rows } = await filled(list, limit + extra, offsets);
              assert.ok(rows.expected.length > limit, "more rows than one page");
              const seen = await readAll(list, apiKey, rows, limit);
              assert.deepEqual(
                seen,
                rows.expected,
                `${list.name}: every row once, in order (limit ${limit})`,
              );
              for (const excluded of rows.excluded)
                assert.ok(!seen.includes(excluded), `${list.name}: the filter holds on every page`);
            },
          ),
          { numRuns: 4, seed },
        );
      });
    }

    test("lists past the old cut-offs (credentials 500, jobs and deliveries 200, accounts 1,000) page to the end at the default limit", async () => {
      for (const [name, count] of [
        ["credentials", 501],
        ["jobs", 201],
        ["deliveries", 201],
        ["accounts", 1001],
        ["api-keys", 201],
      ] as const) {
        const list = pagedLists.find((l) => l.name === name) as PagedList;
        const { apiKey, rows } = await filled(list, count, [0]);
        const seen = await readAll(list, apiKey, rows, undefined);
        assert.equal(seen.length, count, `${name}: all ${count} rows`);
        assert.deepEqual(seen, rows.expected, name);
      }
    });

    test("a tampered cursor, or one of another list, is a 400 naming querystring.cursor", async () => {
      const firstCursors: { list: PagedList; path: string; apiKey: string; cursor: string }[] = [];
      for (const list of pagedLists) {
        const { apiKey, rows } = await filled(list, 2, [0]);
        const page = await get(apiKey, withQuery(rows.path, "limit=1"));
        const cursor = page.body.nextCursor;
        assert.equal(typeof cursor, "string", `${list.name}: a first page of one row has a next`);
        firstCursors.push({ list, path: rows.path, apiKey, cursor: cursor as string });
      }
      const refused = (r: Page, what: string) => {
        assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest, what);
        assert.equal(r.body.field, "querystring.cursor", what);
      };
      for (const { list, path, apiKey, cursor } of firstCursors) {
        const tampered = [
          cursor.slice(0, -1),
          `${cursor}x`,
          "",
          "bm9wZQ",
          encodeCursor([list.name]),
          encodeCursor([list.name, 1, 2, 3]),
          encodeCursor([list.name, {} as unknown as string, "x"]),
          encodeCursor([list.name, 0.5, "x"]),
          encodeCursor([list.name, 2 ** 53, "x"]),
          "A".repeat(601),
          "a+b/c=",
        ];
        for (const bad of tampered)
          refused(
            await get(apiKey, withQuery(path, `cursor=${encodeURIComponent(bad)}`)),
            `${list.name}: ${bad}`,
          );
        for (const other of firstCursors.filter((o) => o.list !== list))
          refused(
            await get(apiKey, withQuery(path, `cursor=${other.cursor}`)),
            `${other.list.name}'s cursor on ${list.name}`,
          );
      }
    });

    test("extremes of limit are a 400 naming querystring.limit, on every list", async () => {
      const { tenant, apiKey } = await s.tenant();
      const db = s.server.ctx.database.db;
      for (const list of pagedLists) {
        const rows = await list.fill({ server: s, db, tenantId: tenant.id, apiKey, count: 1, offsets: [0] });
        for (const limit of [
          "0",
          "-1",
          String(2 ** 31),
          String(2 ** 53),
          "1.5",
          "abc",
          "",
          String(list.maxLimit + 1),
        ]) {
          const r = await get(apiKey, withQuery(rows.path, `limit=${limit}`));
          assert.equal(r.status, 400, `${list.name} limit=${limit}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.field, "querystring.limit", `${list.name} limit=${limit}`);
        }
        const largest = await get(apiKey, withQuery(rows.path, `limit=${list.maxLimit}`));
        assert.equal(largest.status, 200, `${list.name}: limit=${list.maxLimit} is accepted`);
      }
    });

    test("a cursor from another tenant's list never reveals that tenant's rows", async () => {
      for (const list of pagedLists.filter((l) => l.fixedSize === undefined)) {
        const mine = await filled(list, 3, [0, 1]);
        const theirs = await filled(list, 3, [0, 1]);
        const foreign = await get(theirs.apiKey, withQuery(theirs.rows.path, "limit=1"));
        const cursor = foreign.body.nextCursor as string;
        // Their cursor on my list, and their list (its filter naming their parent) with my key.
        for (const path of [
          withQuery(mine.rows.path, `cursor=${cursor}`),
          withQuery(theirs.rows.path, `cursor=${cursor}`),
        ]) {
          const r = await get(mine.apiKey, path);
          assert.ok(r.status === 200 || r.status === 404, `${list.name} ${path}: ${JSON.stringify(r.body)}`);
          const shown =
            r.status === 200 ? (r.body[list.items] as Record<string, unknown>[]).map(list.idOf) : [];
          for (const row of [...theirs.rows.expected, ...theirs.rows.excluded])
            assert.ok(!shown.includes(row), `${list.name}: another tenant's row ${row} shown`);
        }
      }
    });
  });
}
