import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { apiRequest } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { runCli } from "./helpers/run-cli.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

/** The production default apiKeys.failureLimit; the processes run with it. */
const FAILURE_LIMIT = 20;

/** The source lockout is a row in the database: both processes count into it and both honour it. */
suite("API-key source lockout across two server processes on PostgreSQL", () => {
  let pair: ProcessPair;
  before(async () => {
    pair = await startProcessPair("lockout", "source lockout two processes: setup");
  });
  after(() => pair.close());

  const get = (server: ServerProcess, apiKey: string, scenario: string) =>
    apiRequest(`${server.url}/v1/tenant`, { headers: { authorization: `Bearer ${apiKey}` }, scenario });

  test("a burst of bad keys over both processes: at most the limit evaluated, the valid key always served", async () => {
    const { a, b, apiKey } = pair;
    const wrong = `${apiKey.slice(0, 21)}${"B".repeat(43)}`;
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => {
        const server = i % 2 === 0 ? a : b;
        const key = i % 4 < 2 ? wrong : apiKey;
        return get(server, key, "source lockout two processes: burst").then((r) => ({ key, r }));
      }),
    );
    for (const { r } of results.filter((x) => x.key === apiKey)) assert.equal(r.status, 200);
    const bad = results.filter((x) => x.key === wrong).map((x) => x.r);
    assert.equal(bad.filter((r) => r.status === 401).length, FAILURE_LIMIT);
    for (const r of bad.filter((x) => x.status !== 401)) {
      assert.equal(r.body.errorCode, ApiReturnCode.MaximumLoginPartnerAttempsExceeded);
      assert.ok(Number(r.headers.get("retry-after")) > 0);
    }
    for (const server of [a, b]) {
      assert.equal((await get(server, wrong, "source lockout two processes: locked")).status, 429);
      assert.equal((await get(server, apiKey, "source lockout two processes: valid")).status, 200);
    }

    const unlocked = await runCli([...pair.data, "tenant", "unlock-source", "127.0.0.1"], {
      env: { TESSERA_LOG_LEVEL: "silent" },
      scenario: "cli: tenant unlock-source",
    });
    assert.equal(unlocked.status, 0, unlocked.stderr);
    for (const server of [a, b])
      assert.equal((await get(server, wrong, "source lockout two processes: unlocked")).status, 401);
  });
});
