import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { PAT_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { insertTestApp, rpFor } from "./helpers/pat-test-app.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * A personal access token exchanged at the tenant's token endpoint through openid-client (the
 * relying-party library programs use), then the access token used at userinfo. Every invalid
 * exchange is OAuth's invalid_grant whose JSON carries errorCode 9071
 * (PartnerUserLoginFailedInvalidToken), and lands in the audit trail.
 */
const scenario = "sso: personal access token grant";
const DAY_MS = 24 * 3600 * 1000;

for (const backend of backends) {
  suite(`personal access token grant (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    async function setup() {
      const { tenant, apiKey } = await s.tenant();
      const user = await s.api("POST", "/v1/users", {
        apiKey,
        scenario,
        body: { username: "alice", email: "alice@example.com", firstName: "Alice" },
      });
      assert.equal(user.status, 201, JSON.stringify(user.body));
      const userId = (user.body.user as { id: string }).id;
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const rp = await rpFor(s.url, tenant.id, app);
      const newPat = async (clientId = app.clientId, expiresInDays = 30) => {
        const r = await s.api("POST", "/v1/users/alice/personal-access-tokens", {
          apiKey,
          scenario,
          body: { clientId, name: "script", expiresInDays },
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return { token: r.body.token as string, id: (r.body.personalAccessToken as { id: string }).id };
      };
      return { tenant, apiKey, userId, app, rp, newPat };
    }

    const exchange = (rp: oidc.Configuration, token: string, extra: Record<string, string> = {}) =>
      oidc.genericGrantRequest(rp, PAT_GRANT_TYPE, { personal_access_token: token, ...extra });

    /** The exchange fails as OAuth invalid_grant carrying `code`; records the code it observed. */
    async function refused(promise: Promise<unknown>, code: number, what: string) {
      const error = await promise.then(
        () => assert.fail(`${what}: exchanged`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof oidc.ResponseBodyError, `${what}: ${String(error)}`);
      assert.equal(error.status, 400, what);
      assert.equal(error.error, "invalid_grant", what);
      assert.equal(error.cause.errorCode, code, `${what}: ${JSON.stringify(error.cause)}`);
      assert.equal(typeof error.cause.errorName, "string", what);
      recordObservedCode("api", code, scenario);
    }

    test("a PAT is exchanged for an access token that userinfo accepts; no refresh token", async () => {
      const { apiKey, userId, rp, newPat } = await setup();
      const { token } = await newPat();
      const tokens = await exchange(rp, token);
      assert.equal(tokens.token_type.toLowerCase(), "bearer");
      assert.equal(tokens.refresh_token, undefined);
      assert.ok((tokens.expires_in ?? 0) > 0 && (tokens.expires_in ?? 0) <= 600);
      assert.deepEqual(tokens.scope?.split(" ").sort(), ["email", "openid", "profile"]);
      const info = await oidc.fetchUserInfo(rp, tokens.access_token, userId);
      assert.equal(info.sub, userId);
      assert.equal(info.preferred_username, "alice");
      assert.equal(info.email, "alice@example.com");

      const listed = await s.api("GET", "/v1/users/alice/personal-access-tokens", { apiKey, scenario });
      const [pat] = listed.body.personalAccessTokens as { lastUsedAt: string | null }[];
      assert.equal(pat?.lastUsedAt, new Date(s.clock.now()).toISOString());
      const events = await s.api(
        "GET",
        "/v1/audit?operation=sso.personal-access-token.exchange&resultCode=0",
        {
          apiKey,
          scenario,
        },
      );
      const [event] = events.body.events as { subject: string; actor: string }[];
      assert.equal(event?.subject, "user:alice");
    });

    test("a narrower scope is granted as asked; a scope the app lacks, or offline_access, is invalid_scope", async () => {
      const { userId, rp, newPat } = await setup();
      const { token } = await newPat();
      const tokens = await exchange(rp, token, { scope: "openid" });
      assert.equal(tokens.scope, "openid");
      const info = await oidc.fetchUserInfo(rp, tokens.access_token, userId);
      assert.equal(info.email, undefined, "no email without the email scope");
      for (const scope of ["openid admin", "openid offline_access"]) {
        const error = await exchange(rp, token, { scope }).catch((e: unknown) => e);
        assert.ok(error instanceof oidc.ResponseBodyError);
        assert.equal(error.error, "invalid_scope", scope);
      }
    });

    test("unknown, malformed, revoked, expired and other apps' PATs are 9071, audited", async () => {
      const { tenant, apiKey, rp, newPat } = await setup();
      const other = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const forOther = await newPat(other.clientId);
      const toRevoke = await newPat();
      await s.api("DELETE", `/v1/users/alice/personal-access-tokens/${toRevoke.id}`, { apiKey, scenario });
      const shortLived = await newPat(undefined, 1);
      const code = ApiReturnCode.PartnerUserLoginFailedInvalidToken;
      await refused(exchange(rp, `tpat_${"A".repeat(43)}`), code, "unknown");
      await refused(exchange(rp, "hello"), code, "malformed");
      await refused(exchange(rp, toRevoke.token), code, "revoked");
      await refused(exchange(rp, forOther.token), code, "another app's");
      s.clock.advance(DAY_MS);
      await refused(exchange(rp, shortLived.token), code, "expired");

      const trail = await s.api(
        "GET",
        `/v1/audit?operation=sso.personal-access-token.exchange&resultCode=${code}`,
        { apiKey, scenario },
      );
      const events = trail.body.events as { resultCode: number; actor: string; requestId: string | null }[];
      assert.equal(events.length, 5);
      for (const e of events) {
        assert.equal(e.actor, `app:${(await rp).clientMetadata().client_id}`);
        assert.ok(e.requestId !== null, "the request id ties the event to the server log");
        recordObservedCode("api", e.resultCode, scenario);
      }
    });

    test("another tenant's issuer does not know the PAT; a user who cannot sign in is refused", async () => {
      const a = await setup();
      const b = await setup();
      const { token } = await a.newPat();
      await refused(exchange(b.rp, token), ApiReturnCode.PartnerUserLoginFailedInvalidToken, "cross-tenant");
      await s.api("PATCH", "/v1/users/alice", { apiKey: a.apiKey, scenario, body: { disabled: true } });
      await refused(exchange(a.rp, token), ApiReturnCode.PartnerUserLoginDisabled, "disabled user");
      await s.api("PATCH", "/v1/users/alice", {
        apiKey: a.apiKey,
        scenario,
        body: { disabled: false, expiresAt: new Date(s.clock.now() - 1000).toISOString() },
      });
      await refused(exchange(a.rp, token), ApiReturnCode.AccountExpired, "expired user");
    });

    test("an app that no longer allows the grant type is refused before the PAT is looked at", async () => {
      const { app, rp, newPat } = await setup();
      const { token } = await newPat();
      await s.server.ctx.database.db
        .updateTable("sso_apps")
        .set({ grant_types: JSON.stringify(["client_credentials"]) })
        .where("client_id", "=", app.clientId)
        .execute();
      const error = await exchange(rp, token).catch((e: unknown) => e);
      assert.ok(error instanceof oidc.ResponseBodyError, String(error));
      assert.notEqual(error.error, "invalid_grant");
      assert.equal(error.cause.errorCode, undefined);
    });

    test("a missing parameter is invalid_request; the access token never outlives its PAT", async () => {
      const { tenant, rp, newPat } = await setup();
      const missing = await oidc.genericGrantRequest(rp, PAT_GRANT_TYPE, {}).catch((e: unknown) => e);
      assert.ok(missing instanceof oidc.ResponseBodyError);
      assert.equal(missing.error, "invalid_request");
      const { token } = await newPat(undefined, 1);
      s.clock.advance(DAY_MS - 60_000);
      const tokens = await exchange(rp, token);
      assert.ok((tokens.expires_in ?? 0) <= 60, `expires_in ${tokens.expires_in}`);
      // Nor does the grant it was issued under (stored until the PAT's end, not for 14 days).
      const grants = await s.server.ctx.database.db
        .selectFrom("sso_models")
        .select("expires_at")
        .where("model", "=", "Grant")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.equal(grants.length, 1);
      assert.ok(Number(grants[0]?.expires_at) <= s.clock.now() + 60_000, String(grants[0]?.expires_at));
    });
  });
}
