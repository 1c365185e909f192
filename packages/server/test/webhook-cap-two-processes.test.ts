import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { apiRequest } from "./helpers/api-client.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

/**
 * link.maxWebhooksPerTenant is checked and the webhook inserted in one transaction that locks the
 * tenant's row; only two real processes on one PostgreSQL show that the lock, not one process's
 * own serialisation, is what holds the cap.
 */
suite("webhook cap across two server processes on one PostgreSQL", () => {
  const cap = 4;
  let database: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  before(async () => {
    database = await createTestDatabase("postgres");
    const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
    apiKey = JSON.parse(
      (
        await runCli([...data, "tenant", "create", "hooks", "--json"], {
          scenario: "webhook cap processes: setup",
        })
      ).stdout,
    ).apiKey;
    // A small cap (the default is 20) so that a burst many times larger stays quick.
    const env = { TESSERA_LINK_MAX_WEBHOOKS_PER_TENANT: String(cap) };
    a = await startServerProcess(data, env);
    b = await startServerProcess(data, env);
  });
  after(async () => {
    await a.stop("SIGKILL");
    await b.stop("SIGKILL");
    await database.drop();
  });

  const call = (server: ServerProcess, method: string, path: string, body?: unknown) =>
    apiRequest(`${server.url}/v1/link${path}`, {
      method,
      scenario: "webhook cap processes: burst",
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

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
