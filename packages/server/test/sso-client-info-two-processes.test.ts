import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { keyedClient } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";

/**
 * The client information endpoint's per-source limit is counted in the database: a burst spread
 * over two `tessera start` processes on one PostgreSQL gets exactly the limit answered, as one
 * process would. Production defaults (rateLimits.ssoClientInfoPerSource = 120 a minute).
 */
const LIMIT = 120;
let pair: ProcessPair;
before(async () => {
  pair = await startProcessPair("info", "client info two processes: setup");
});
after(() => pair.close());

test(`${LIMIT + 40} concurrent requests over two processes: ${LIMIT} answered, the rest RateLimited`, async () => {
  const created = await keyedClient(pair.a.url, pair.apiKey)(
    "POST",
    "/v1/apps",
    "client info two processes: an app",
    { name: "Desk tool", kind: "native", redirectUris: ["http://127.0.0.1/cb"] },
  );
  const { clientId, issuer } = created.body.app as { clientId: string; issuer: string };
  const path = new URL(issuer).pathname;
  const answers = await Promise.all(
    Array.from({ length: LIMIT + 40 }, async (_, i) => {
      const response = await fetch(`${(i % 2 ? pair.a : pair.b).url}${path}/clients/${clientId}`);
      const body = (await response.json()) as { errorCode: number; client_id?: string };
      recordObservedCode("api", body.errorCode, "client info two processes: burst");
      return { status: response.status, body };
    }),
  );
  const answered = answers.filter((a) => a.status === 200);
  assert.equal(answered.length, LIMIT, answers.map((a) => a.status).join());
  for (const a of answered) assert.equal(a.body.client_id, clientId);
  const limited = answers.filter((a) => a.status === 429);
  assert.equal(limited.length, 40);
  for (const a of limited) assert.equal(a.body.errorCode, TesseraApiCode.RateLimited);
});
