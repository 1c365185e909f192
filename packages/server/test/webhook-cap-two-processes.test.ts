import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { keyedClient } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

/**
 * link.maxWebhooksPerTenant is checked and the webhook inserted in one transaction that locks the
 * tenant's row; only two real processes on one PostgreSQL show that the lock, not one process's
 * own serialisation, is what holds the cap.
 */
suite("webhook cap across two server processes on one PostgreSQL", () => {
  const cap = 4;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  let pair: ProcessPair;
  before(async () => {
    // A small cap (the default is 20) so that a burst many times larger stays quick.
    pair = await startProcessPair("hooks", "webhook cap processes: setup", {
      TESSERA_LINK_MAX_WEBHOOKS_PER_TENANT: String(cap),
    });
    ({ a, b, apiKey } = pair);
  });
  after(() => pair.close());

  const call = (server: ServerProcess, method: string, path: string, body?: unknown) =>
    keyedClient(server.url, apiKey)(method, `/v1/link${path}`, "webhook cap processes: burst", body);

  test("a burst of registrations spread over both processes creates at most the cap", async () => {
    // Public IPv4 literals pass the address check without a DNS look-up, and registering never
    // connects: nothing leaves the machine.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(i % 2 === 0 ? a : b, "POST", "/webhooks", { url: `https://1.1.1.1/hook/${i}` }),
      ),
    );
    const created = answers.filter((r) => r.status === 201);
    const refused = answers.filter((r) => r.body.errorCode === TesseraApiCode.WebhookLimitReached);
    assert.equal(created.length, cap, JSON.stringify(answers.find((r) => r.status !== 201)?.body));
    assert.equal(refused.length, answers.length - cap, "every other answer is the cap");
    assert.ok(refused.every((r) => r.status === 409));
    for (const server of [a, b]) {
      const listed = await call(server, "GET", "/webhooks");
      assert.equal((listed.body.webhooks as unknown[]).length, cap);
    }
  });
});
