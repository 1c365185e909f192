import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { keyedClient } from "./helpers/api-client.ts";
import { siteBody } from "./helpers/link.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

/**
 * link.maxSitesPerTenant is checked and the site inserted in one transaction that locks the
 * tenant's row, and a site id is one primary key: only two real processes on one PostgreSQL show
 * that the database, not one process's own serialisation, holds both.
 */
suite("site cap and site ids across two server processes on one PostgreSQL", () => {
  const cap = 4;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  let pair: ProcessPair;
  before(async () => {
    // A small cap (the default is 100) so that a burst many times larger stays quick.
    pair = await startProcessPair("sites", "site cap processes: setup", {
      TESSERA_LINK_MAX_SITES_PER_TENANT: String(cap),
    });
    ({ a, b, apiKey } = pair);
  });
  after(() => pair.close());

  const call = (server: ServerProcess, method: string, path: string, body?: unknown) =>
    keyedClient(server.url, apiKey)(method, `/v1/link${path}`, "site cap processes: burst", body);

  test("one id posted 20 times over both processes: exactly one site", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(i % 2 === 0 ? a : b, "POST", "/sites", siteBody("one-bank"))),
    );
    assert.equal(answers.filter((r) => r.status === 201).length, 1);
    assert.ok(
      answers.filter((r) => r.status !== 201).every((r) => r.body.errorCode === TesseraApiCode.SiteIdTaken),
      JSON.stringify(
        answers.find((r) => r.status !== 201 && r.body.errorCode !== TesseraApiCode.SiteIdTaken)?.body,
      ),
    );
  });

  test("a burst of new sites spread over both processes creates at most the cap", async () => {
    // Names are not looked up when a site is saved: nothing leaves the machine.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(i % 2 === 0 ? a : b, "POST", "/sites", siteBody(`bank-${i}`)),
      ),
    );
    const created = answers.filter((r) => r.status === 201);
    // One place is taken by the previous test's site.
    assert.equal(created.length, cap - 1, JSON.stringify(answers.find((r) => r.status !== 201)?.body));
    assert.ok(
      answers
        .filter((r) => r.status !== 201)
        .every((r) => r.status === 409 && r.body.errorCode === TesseraApiCode.SiteLimitReached),
    );
    for (const server of [a, b]) {
      const listed = await call(server, "GET", "/sites?limit=200");
      const own = (listed.body.sites as { shared: boolean; sandbox: boolean }[]).filter((s) => !s.shared);
      assert.equal(own.length, cap);
    }
  });
});
