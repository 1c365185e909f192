import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { housekeepingKinds } from "../src/housekeeping/housekeeping-round.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Right after start, before any housekeeping round, /metrics already has every housekeeping
 * series at 0, so alerts on them have data from the start.
 */
for (const backend of backends) {
  suite(`Housekeeping metrics exist from the start (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("deleted_total and failures_total per kind, rounds_total per result: all 0 before the first round", async () => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const value = (series: string) =>
        text
          .split("\n")
          .find((line) => line.startsWith(`${series} `))
          ?.split(" ")
          .at(-1);
      assert.ok(
        housekeepingKinds.deleted.includes("link_jobs") &&
          housekeepingKinds.failures.includes("refused_requests"),
      );
      for (const kind of housekeepingKinds.deleted)
        assert.equal(value(`tessera_housekeeping_deleted_total{kind="${kind}"}`), "0", kind);
      for (const kind of housekeepingKinds.failures)
        assert.equal(value(`tessera_housekeeping_failures_total{kind="${kind}"}`), "0", kind);
      for (const result of ["ok", "failed"])
        assert.equal(value(`tessera_housekeeping_rounds_total{result="${result}"}`), "0", result);
    });
  });
}
