import assert from "node:assert/strict";
import { before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { TOKEN_EXCHANGE_GRANT_TYPE } from "../../server/src/sso/apps/app.ts";
import { createTestApp, relyingParty, type TestApp } from "../../server/test/helpers/sso-grant-fixtures.ts";
import { IdentityStatusCode } from "../src/index.ts";
import {
  observe,
  programClient,
  signedInProgram,
  stored,
  tokensFixtureForSuite,
} from "./helpers/tokens-fixture.ts";

/**
 * Further client ids: the program registers another app of the tenant (its reports service) and
 * gets access tokens for it by token exchange at the real server (RFC 8693); the reports service
 * introspects them as its own.
 */
suite("tokens: registered client ids and token exchange", () => {
  const fx = tokensFixtureForSuite([TOKEN_EXCHANGE_GRANT_TYPE]);
  let reports: TestApp;
  let reportsRp: oidc.Configuration;
  before(async () => {
    reports = await createTestApp(fx.s, fx.tenantId, { scopes: "openid profile email" });
    reportsRp = await relyingParty(reports);
  });

  const exchanges = async (scenario: string) => {
    await fx.s.server.ctx.audit.flush();
    const answer = await fx.s.api("GET", "/v1/audit?limit=500", { apiKey: fx.apiKey, scenario });
    const events = answer.body.events as { operation: string; resultCode: number }[];
    return events.filter(
      (e) => e.operation === `oidc.token ${TOKEN_EXCHANGE_GRANT_TYPE}` && e.resultCode === 0,
    ).length;
  };

  test("a client id registered by one process serves every process: one exchange, a token the other app takes as its own, cached", async () => {
    const { storeDir, ctx } = await signedInProgram(fx);
    const registering = await programClient(fx, storeDir);
    const registered = observe(
      await registering.registerClientId(reports.clientId),
      "tokens: register a client id",
    );
    assert.equal(registered.status, IdentityStatusCode.Success);
    assert.deepEqual((await stored(ctx))?.registeredClientIds, [reports.clientId]);
    const before = await exchanges("tokens: exchanges");
    const other = await programClient(fx, storeDir);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => other.getAccessToken(reports.clientId)),
    );
    observe(
      answers[0] ?? { status: IdentityStatusCode.Failed },
      "tokens: a token for a registered client id",
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => IdentityStatusCode.Success),
    );
    const tokens = new Set(answers.map((a) => a.value));
    assert.equal(tokens.size, 1, "one token for all callers");
    assert.equal((await exchanges("tokens: exchanges")) - before, 1, "exchanged once");
    const [token = ""] = tokens;
    const seen = await oidc.tokenIntrospection(reportsRp, token);
    assert.equal(seen.active, true);
    assert.equal(seen.client_id, reports.clientId);
    assert.equal(seen.sub, fx.user.id);
    assert.equal(
      (await stored(ctx))?.clientTokens?.[reports.clientId]?.accessToken,
      token,
      "cached in the store",
    );
    assert.equal((await registering.getAccessToken(reports.clientId)).value, token);
    assert.equal((await exchanges("tokens: exchanges")) - before, 1, "the cache answered");
    registering.close();
    other.close();
  });

  test("a client id never registered, or unknown to the server, is ClientIdNotRegistered", async () => {
    const { storeDir, ctx } = await signedInProgram(fx);
    const client = await programClient(fx, storeDir);
    const never = observe(
      await client.getAccessToken(reports.clientId),
      "tokens: a client id never registered",
    );
    assert.equal(never.status, IdentityStatusCode.ClientIdNotRegistered);
    assert.match(never.message ?? "", /not registered/);
    const unknown = observe(
      await client.registerClientId("app-nobody-knows"),
      "tokens: register a client id the server does not know",
    );
    assert.equal(unknown.status, IdentityStatusCode.ClientIdNotRegistered);
    assert.match(unknown.message ?? "", /server does not know/);
    assert.equal((await stored(ctx))?.registeredClientIds, undefined, "not kept");
    assert.equal(
      (await client.getAccessToken("app-nobody-knows")).status,
      IdentityStatusCode.ClientIdNotRegistered,
    );
    assert.equal(
      (await client.getAccessToken(fx.app.clientId)).status,
      IdentityStatusCode.Success,
      "the main client id needs no registration",
    );
    client.close();
  });

  test("an app deleted after it was registered: the exchange is ClientIdNotRegistered", async () => {
    const { storeDir } = await signedInProgram(fx);
    const doomed = await createTestApp(fx.s, fx.tenantId, { scopes: "openid profile" });
    const client = await programClient(fx, storeDir);
    assert.equal((await client.registerClientId(doomed.clientId)).status, IdentityStatusCode.Success);
    const deleted = await fx.s.api("DELETE", `/v1/apps/${doomed.clientId}`, {
      apiKey: fx.apiKey,
      scenario: "tokens: an app deleted",
    });
    assert.equal(deleted.status, 200);
    const gone = observe(
      await client.getAccessToken(doomed.clientId),
      "tokens: exchange for a client id the server no longer knows",
    );
    assert.equal(gone.status, IdentityStatusCode.ClientIdNotRegistered);
    assert.match(gone.message ?? "", /server does not know/);
    client.close();
  });

  test("malformed client ids are Failed naming clientId, and are never stored", async () => {
    const { storeDir, ctx } = await signedInProgram(fx);
    const client = await programClient(fx, storeDir);
    const malformed = [
      "",
      " ",
      "a b",
      "x".repeat(1_000_000),
      "x".repeat(129),
      "app/../x",
      "ä",
      "\u0000",
      2 ** 53,
      -1,
      1.5,
      null,
      {},
    ];
    for (const id of malformed) {
      const registered = observe(
        await client.registerClientId(id as string),
        "tokens: register a malformed id",
      );
      assert.equal(registered.status, IdentityStatusCode.Failed, String(id));
      assert.match(registered.message ?? "", /clientId/);
    }
    for (const id of malformed) {
      const token = await client.getAccessToken(id as string);
      assert.equal(token.status, IdentityStatusCode.Failed, String(id));
      assert.match(token.message ?? "", /clientId/);
    }
    assert.equal((await stored(ctx))?.registeredClientIds, undefined);
    client.close();
  });
});
