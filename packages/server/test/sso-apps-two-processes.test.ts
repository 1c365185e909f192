import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import * as oidc from "openid-client";
import { keyedClient } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

/**
 * sso.maxAppsPerTenant is checked and the app inserted in one transaction that locks the tenant's
 * row: only two real processes on one PostgreSQL show that the lock, not one process's own
 * serialisation, holds the cap. And a secret rotated through one process is refused at once by
 * the other's token endpoint (no process keeps a client beside the database).
 */
suite("SSO apps across two server processes on one PostgreSQL", () => {
  const cap = 4;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  let pair: ProcessPair;
  before(async () => {
    // A small cap (the default is 100) so that a burst many times larger stays quick.
    pair = await startProcessPair("apps", "app processes: setup", {
      TESSERA_SSO_MAX_APPS_PER_TENANT: String(cap),
    });
    ({ a, b, apiKey } = pair);
  });
  after(() => pair.close());

  const call = (server: ServerProcess, method: string, path: string, body?: unknown) =>
    keyedClient(server.url, apiKey)(method, `/v1${path}`, "app processes: burst", body);
  const confidential = { name: "Back office", kind: "confidential", grantTypes: ["client_credentials"] };

  test("a burst of registrations spread over both processes creates at most the cap", async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(i % 2 === 0 ? a : b, "POST", "/apps", confidential)),
    );
    const created = answers.filter((r) => r.status === 201);
    const refused = answers.filter((r) => r.body.errorCode === TesseraApiCode.AppLimitReached);
    assert.equal(created.length, cap, JSON.stringify(answers.find((r) => r.status !== 201)?.body));
    assert.equal(refused.length, answers.length - cap, "every other answer is the cap");
    assert.ok(refused.every((r) => r.status === 409));
    for (const server of [a, b]) {
      const listed = await call(server, "GET", "/apps");
      assert.equal((listed.body.apps as unknown[]).length, cap);
    }
  });

  test("a secret rotated through one process stops working at once at the other", async () => {
    const listed = await call(a, "GET", "/apps");
    const { clientId } = (listed.body.apps as { clientId: string }[])[0] as { clientId: string };
    const tenant = await call(a, "GET", "/tenant");
    const tenantId = (tenant.body.tenant as { id: string }).id;
    const rotated = await call(a, "POST", `/apps/${clientId}/rotate-secret`);
    assert.equal(rotated.status, 200);
    const secret = rotated.body.clientSecret as string;
    const grant = async (server: ServerProcess, clientSecret: string) =>
      oidc.clientCredentialsGrant(
        await oidc.discovery(new URL(`/oidc/${tenantId}`, server.url), clientId, clientSecret, undefined, {
          execute: [oidc.allowInsecureRequests],
        }),
      );
    // b has served this client with the current secret, so a cached client would show up below.
    assert.ok((await grant(b, secret)).access_token);
    const again = await call(a, "POST", `/apps/${clientId}/rotate-secret`);
    await assert.rejects(grant(b, secret), (e: { error?: string }) => e.error === "invalid_client");
    assert.ok((await grant(b, again.body.clientSecret as string)).access_token);
    const logged = JSON.stringify([a.logs, b.logs]);
    for (const shown of [secret, again.body.clientSecret as string])
      assert.ok(!logged.includes(shown), "no secret in either process's log");
  });
});
