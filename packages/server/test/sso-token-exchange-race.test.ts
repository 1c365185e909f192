import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { sql } from "kysely";
import * as oidc from "openid-client";
import { TOKEN_EXCHANGE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { accountKey } from "../src/sso/provider/oidc-adapter.ts";
import {
  createTestApp,
  createTestUser,
  relyingParty,
  signInForCode,
  type TestApp,
  type TestUser,
  tokenRequest,
} from "./helpers/sso-grant-fixtures.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * A token exchange racing the revocation of its user's sign-ins on PostgreSQL (on SQLite one writer
 * at a time serialises the two). A revocation is one DELETE (sso/provider/account-revocation.ts);
 * under READ COMMITTED it does not see rows inserted after it began, so an exchange that saves its
 * token while the DELETE is under way, and checks its subject again before the DELETE commits,
 * would keep a token that no revocation ever deletes. Here the DELETE is held open in a
 * transaction of its own, so the interleaving is forced rather than hoped for.
 */
const ACCESS = "urn:ietf:params:oauth:token-type:access_token";

suite("SSO token exchange racing a revocation (postgres)", () => {
  let s: TestServer;
  let tenantId = "";
  let user: TestUser;
  let a: TestApp;
  let b: TestApp;
  let rpA: oidc.Configuration;
  before(async () => {
    s = await startTestServer("postgres");
    const created = await s.tenant();
    tenantId = created.tenant.id;
    user = await createTestUser(s, created.apiKey, "rita");
    a = await createTestApp(s, tenantId, {
      kind: "native",
      grantTypes: ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT_TYPE],
    });
    b = await createTestApp(s, tenantId, { scopes: "openid profile" });
    rpA = await relyingParty(a);
  });
  after(() => s.close());

  /** Whether some statement of this database waits for a row lock now. */
  async function someoneWaitsForALock(): Promise<boolean> {
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(s.server.ctx.database.db);
    return Number(rows[0]?.n) > 0;
  }

  test("an exchange during an uncommitted revocation of its user gets no token that outlives it", async () => {
    const { request, callback } = await signInForCode(s, tenantId, rpA, a, user);
    const tokens = await oidc.authorizationCodeGrant(rpA, callback, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    let exchanged: Promise<{ status: number; body: Record<string, unknown> }> | undefined;
    await s.server.ctx.database.db.transaction().execute(async (trx) => {
      // What disabling the user or setting their password runs, not yet committed.
      await trx
        .deleteFrom("sso_models")
        .where("tenant_id", "=", tenantId)
        .where("account_id", "=", accountKey(user.id))
        .execute();
      const request = tokenRequest(a, {
        grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
        subject_token: tokens.access_token,
        subject_token_type: ACCESS,
        audience: b.clientId,
      });
      exchanged = request;
      // The revocation commits once the exchange has either finished or waits for it: polled.
      let done = false;
      void request.finally(() => {
        done = true;
      });
      const deadline = Date.now() + 15_000;
      while (!done && !(await someoneWaitsForALock())) {
        if (Date.now() > deadline) assert.fail("the exchange neither finished nor waited for the revocation");
        await delay(5);
      }
    });
    const answer = await (exchanged as NonNullable<typeof exchanged>);
    if (answer.status === 200) {
      const rpB = await relyingParty(b);
      const seen = await oidc.tokenIntrospection(rpB, String(answer.body.access_token));
      assert.equal(seen.active, false, "a token exchanged from a revoked sign-in is still active");
    } else {
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error, "invalid_grant", JSON.stringify(answer.body));
    }
  });
});
