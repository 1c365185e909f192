import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { ApiReturnCode } from "@tessera/codes";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { runCli } from "./helpers/run-cli.ts";
import { basicAuth, clientCredentials, insertAppRow, issuerFailure } from "./helpers/sso-app-row.ts";
import { testConfig } from "./helpers/test-server.ts";

/**
 * Two real `tessera start` processes on one PostgreSQL: `tessera keys rotate-signing` run beside
 * them reaches both (each compares the stored key ids), and a provider fault's detail is in the
 * process's own log, not in the answer.
 */
suite("SSO signing keys across two server processes", () => {
  let pair: ProcessPair;
  let ctx: ServerContext;
  let tenantId = "";
  const clientId = "back-office";
  before(async () => {
    pair = await startProcessPair("sso-keys", "sso keys two processes: setup");
    // The test's own view of the installation (same data directory, keyring and database).
    ctx = await openServerContext(testConfig(pair.database), { mayCreateData: false });
    tenantId = (await ctx.database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow()).id;
    await insertAppRow(ctx, tenantId, clientId);
  });
  after(async () => {
    await ctx.close();
    await pair.close();
  });

  const kids = async (url: string) => {
    const response = await fetch(`${url}/oidc/${tenantId}/jwks`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  };

  /** Polls until `check` holds (the processes look at the stored keys every few seconds). */
  const until = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 20_000;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`never: ${what}`);
      await delay(100);
    }
  };

  test("after `tessera keys rotate-signing` both processes publish the new keys first and keep the old ones", async () => {
    const before = await kids(pair.a.url);
    assert.deepEqual(await kids(pair.b.url), before);
    const rotated = await runCli([...pair.data, "keys", "rotate-signing", "--json"], {
      scenario: "sso keys two processes: rotate",
    });
    assert.equal(rotated.status, 0, rotated.stderr);
    const rotation = JSON.parse(rotated.stdout) as { current: string[]; retired: string[] };
    assert.deepEqual([...rotation.retired].sort(), [...before].sort());
    for (const server of [pair.a, pair.b]) {
      await until(`${server.url} serves the new keys`, async () => {
        const now = await kids(server.url);
        return now.slice(0, 2).join() === rotation.current.join();
      });
      assert.deepEqual(await kids(server.url), [...rotation.current, ...before]);
    }
    const audited = await ctx.database.db
      .selectFrom("audit_events")
      .select(["subject", "result_code", "actor"])
      .where("operation", "=", "keys.rotate-signing")
      .execute();
    assert.equal(audited.length, 1);
    assert.equal(audited[0]?.subject, `signing-keys:${rotation.current.join(",")}`);
    assert.match(audited[0]?.actor ?? "", /^cli:/);
  });

  test("a provider fault's detail is in the log line, not in the answer; no token is logged", async () => {
    const issuer = `${pair.a.url}/oidc/${tenantId}`;
    const granted = await clientCredentials(issuer, clientId);
    assert.equal(granted.status, 200);
    const { access_token: accessToken } = (await granted.json()) as { access_token: string };
    await ctx.database.db
      .updateTable("sso_models")
      .set({ payload_enc: ctx.keys.encrypt("{}", "another row") })
      .where("tenant_id", "=", tenantId)
      .execute();
    const answer = await issuerFailure(
      `${pair.b.url}/oidc/${tenantId}/token/introspection`,
      {
        method: "POST",
        headers: { authorization: basicAuth(clientId), "content-type": "application/x-www-form-urlencoded" },
        body: `token=${accessToken}`,
      },
      "sso keys two processes: fault",
    );
    assert.equal(answer.body.errorCode, ApiReturnCode.SSOInternalError);
    const requestId = answer.headers.get("x-request-id") ?? "";
    let line: Record<string, unknown> | undefined;
    await until("the fault is logged", async () => {
      line = pair.b.logs.find((entry) => entry.msg === "SSO provider fault" && entry.reqId === requestId);
      return line !== undefined;
    });
    const err = line?.err as { message?: string; stack?: string } | undefined;
    assert.equal(line?.code, ApiReturnCode.SSOInternalError);
    assert.ok(err?.message, "the log line carries the exception");
    assert.ok(!JSON.stringify(answer.body).includes(err.message), "the answer does not");
    for (const server of [pair.a, pair.b]) {
      assert.ok(!JSON.stringify(server.logs).includes(accessToken), "no token in the log");
    }
  });
});
