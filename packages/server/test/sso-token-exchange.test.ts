import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { PAT_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import {
  createTestApp,
  createTestUser,
  relyingParty,
  signInForCode,
  type TestApp,
  type TestUser,
  tokenRequest,
} from "./helpers/sso-grant-fixtures.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Token exchange (RFC 8693): a program's access token (app A, native) exchanged for an access
 * token of another app of the tenant (B, confidential: it introspects what it gets). The issued
 * token is B's, for the same user, with at most the scopes both hold, no refresh token, never
 * outliving the subject, and it ends with the sign-in it came from.
 */
const scenario = "sso: token exchange";
const ACCESS = "urn:ietf:params:oauth:token-type:access_token";
const NATIVE_GRANTS = ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT_TYPE] as const;

for (const backend of backends) {
  suite(`SSO token exchange (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    let apiKey = "";
    let user: TestUser;
    let a: TestApp;
    let b: TestApp;
    let rpA: oidc.Configuration;
    let rpB: oidc.Configuration;
    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      tenantId = created.tenant.id;
      apiKey = created.apiKey;
      user = await createTestUser(s, apiKey, "erin");
      a = await createTestApp(s, tenantId, { kind: "native", grantTypes: [...NATIVE_GRANTS] });
      b = await createTestApp(s, tenantId, { scopes: "openid profile email" });
      rpA = await relyingParty(a);
      rpB = await relyingParty(b);
    });
    after(() => s.close());

    /** A's tokens after a sign-in with password and TOTP (scope openid offline_access profile). */
    async function signedIn(app = a, rp = rpA) {
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      return oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
    }
    const exchange = (subject: string, audience: string, extra: Record<string, string> = {}, by = a) =>
      tokenRequest(by, {
        grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
        subject_token: subject,
        subject_token_type: ACCESS,
        audience,
        ...extra,
      });
    const introspect = (token: string, rp = rpB) => oidc.tokenIntrospection(rp, token);

    test("A's access token becomes B's: B introspects it, userinfo takes it, no refresh token, audited", async () => {
      const tokens = await signedIn();
      const r = await exchange(tokens.access_token, b.clientId);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.issued_token_type, ACCESS);
      assert.equal(r.body.token_type, "Bearer");
      assert.equal(r.body.refresh_token, undefined);
      assert.equal(r.body.scope, "openid profile", "B's scopes that the sign-in holds");
      const expiresIn = Number(r.body.expires_in);
      assert.ok(expiresIn > 0 && expiresIn <= 600, String(expiresIn));
      const token = String(r.body.access_token);
      const seen = await introspect(token);
      assert.equal(seen.active, true);
      assert.equal(seen.client_id, b.clientId);
      assert.equal(seen.sub, user.id);
      assert.deepEqual(seen.amr, ["pwd", "otp"]);
      assert.equal((await introspect(token, rpA)).active, false, "A may not introspect B's token");
      const info = await oidc.fetchUserInfo(rpB, token, user.id);
      assert.equal(info.preferred_username, "erin");

      const trail = await s.api(
        "GET",
        `/v1/audit?operation=${encodeURIComponent(`oidc.token ${TOKEN_EXCHANGE_GRANT_TYPE}`)}&resultCode=0`,
        { apiKey, scenario },
      );
      const events = trail.body.events as { actor: string; subject: string }[];
      assert.ok(
        events.some((e) => e.actor === `app:${a.clientId}` && e.subject === "user:erin"),
        JSON.stringify(events),
      );
    });

    /** A refusal: 400 with OAuth `error`; Tessera's code (when given) in the envelope, recorded. */
    function refused(r: { status: number; body: Record<string, unknown> }, error: string, code?: number) {
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error, error, JSON.stringify(r.body));
      if (code === undefined) return;
      assert.equal(r.body.errorCode, code, JSON.stringify(r.body));
      assert.equal(typeof r.body.errorName, "string");
      recordObservedCode("api", code, scenario);
    }
    const invalidToken = ApiReturnCode.PartnerUserLoginFailedInvalidToken;

    /** A token request with a hand-written form body (repeated or huge parameters). */
    const rawExchange = (body: string, by = a) =>
      fetch(`${by.issuer.href}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `client_id=${encodeURIComponent(by.clientId)}&${body}`,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

    test("scope: asked for ∩ the target's ∩ the subject's; never offline_access; none left is invalid_scope", async () => {
      const tokens = await signedIn();
      const wide = await exchange(tokens.access_token, b.clientId, {
        scope: "openid email profile offline_access",
      });
      assert.equal(wide.status, 200, JSON.stringify(wide.body));
      assert.equal(wide.body.scope, "openid profile", "email is B's but not the sign-in's: no escalation");
      const narrow = await exchange(tokens.access_token, b.clientId, { scope: "profile" });
      assert.equal(narrow.body.scope, "profile");
      refused(await exchange(tokens.access_token, b.clientId, { scope: "email" }), "invalid_scope");
      refused(
        await exchange(tokens.access_token, b.clientId, { scope: "admin offline_access" }),
        "invalid_scope",
      );
      const info = await oidc.fetchUserInfo(rpB, String(wide.body.access_token), user.id);
      assert.equal(info.email, undefined, "no email claim without the email scope");
    });

    test("forged, foreign, replayed-as-another-app, client-credentials, revoked and expired subject tokens are invalid_grant 9071", async () => {
      const tokens = await signedIn();
      refused(await exchange("forged-token-value", b.clientId), "invalid_grant", invalidToken);
      // The token endpoint's audit records the refusal under the grant type (token-audit.ts).
      const trail = await s.api(
        "GET",
        `/v1/audit?operation=${encodeURIComponent(`oidc.token ${TOKEN_EXCHANGE_GRANT_TYPE}`)}&resultCode=${invalidToken}`,
        { apiKey, scenario },
      );
      assert.ok((trail.body.events as { actor: string }[]).some((e) => e.actor === `app:${a.clientId}`));
      refused(await exchange("", b.clientId), "invalid_request");
      // The token B got, presented by A: it was issued to B.
      const issued = await exchange(tokens.access_token, b.clientId);
      refused(await exchange(String(issued.body.access_token), b.clientId), "invalid_grant", invalidToken);
      // A's token presented by another app that holds the grant.
      const c = await createTestApp(s, tenantId, { kind: "native", grantTypes: [...NATIVE_GRANTS] });
      refused(await exchange(tokens.access_token, b.clientId, {}, c), "invalid_grant", invalidToken);
      // Another tenant's issuer does not know the token, even for an app of the same kind there.
      const elsewhere = await s.tenant();
      const foreignApp = await createTestApp(s, elsewhere.tenant.id, {
        kind: "native",
        grantTypes: [...NATIVE_GRANTS],
      });
      const foreignTarget = await createTestApp(s, elsewhere.tenant.id);
      refused(
        await exchange(tokens.access_token, foreignTarget.clientId, {}, foreignApp),
        "invalid_grant",
        invalidToken,
      );
      // A client-credentials token has no user behind it.
      const d = await createTestApp(s, tenantId, {
        grantTypes: ["client_credentials", TOKEN_EXCHANGE_GRANT_TYPE],
        scopes: "openid profile",
      });
      const cc = await tokenRequest(d, { grant_type: "client_credentials", scope: "openid" });
      assert.equal(cc.status, 200, JSON.stringify(cc.body));
      refused(await exchange(String(cc.body.access_token), b.clientId, {}, d), "invalid_grant", invalidToken);
      // Revoked at the revocation endpoint by A.
      const second = await signedIn();
      await oidc.tokenRevocation(rpA, second.access_token);
      refused(await exchange(second.access_token, b.clientId), "invalid_grant", invalidToken);
      // Expired by the server clock (600 s).
      const third = await signedIn();
      s.clock.advance(601_000);
      refused(await exchange(third.access_token, b.clientId), "invalid_grant", invalidToken);
    });

    test("audience: unknown or another tenant's id is invalid_target flagged not registered; a third-party app is not flagged", async () => {
      const tokens = await signedIn();
      const other = await s.tenant();
      const foreign = await createTestApp(s, other.tenant.id);
      const thirdParty = await createTestApp(s, tenantId);
      await s.server.ctx.database.db
        .updateTable("sso_apps")
        .set({ first_party: 0 })
        .where("client_id", "=", thirdParty.clientId)
        .execute();
      for (const audience of ["no-such-app", foreign.clientId, "x".repeat(10_000)]) {
        const r = await exchange(tokens.access_token, audience);
        refused(r, "invalid_target");
        assert.equal(r.body.error_description, "the client id is not registered at this issuer");
        assert.equal(r.body.tessera_client_not_registered, true, audience.slice(0, 20));
      }
      const r = await exchange(tokens.access_token, thirdParty.clientId);
      refused(r, "invalid_target");
      assert.equal(r.body.tessera_client_not_registered, undefined);
    });

    test("malformed requests: missing, repeated, wrong token types, actor tokens, resource, huge values: 4xx, never 5xx", async () => {
      const tokens = await signedIn();
      const subject = encodeURIComponent(tokens.access_token);
      const base = `grant_type=${encodeURIComponent(TOKEN_EXCHANGE_GRANT_TYPE)}&subject_token_type=${encodeURIComponent(ACCESS)}`;
      refused(await rawExchange(`${base}&subject_token=${subject}`), "invalid_request");
      refused(await rawExchange(`${base}&audience=${b.clientId}`), "invalid_request");
      refused(
        await rawExchange(`${base}&subject_token=${subject}&audience=${b.clientId}&audience=${b.clientId}`),
        "invalid_request",
      );
      refused(
        await rawExchange(`${base}&subject_token=${subject}&subject_token=${subject}&audience=${b.clientId}`),
        "invalid_request",
      );
      const id = "urn:ietf:params:oauth:token-type:id_token";
      refused(await exchange(tokens.access_token, b.clientId, { subject_token_type: id }), "invalid_request");
      refused(
        await exchange(tokens.access_token, b.clientId, { requested_token_type: id }),
        "invalid_request",
      );
      refused(
        await exchange(tokens.access_token, b.clientId, {
          actor_token: tokens.access_token,
          actor_token_type: ACCESS,
        }),
        "invalid_request",
      );
      refused(
        await exchange(tokens.access_token, b.clientId, { resource: "https://api.example/" }),
        "invalid_target",
      );
      for (const huge of ["s".repeat(40_000), "s".repeat(2_000_000)]) {
        const r = await exchange(huge, b.clientId);
        assert.ok(r.status >= 400 && r.status < 500, `${huge.length}: ${r.status}`);
        const big = await exchange(tokens.access_token, huge);
        assert.ok(big.status >= 400 && big.status < 500, `${huge.length}: ${big.status}`);
      }
      const manyScopes = Array.from({ length: 5_000 }, (_, n) => `scope${n}`).join(" ");
      const scopeRefused = await exchange(tokens.access_token, b.clientId, { scope: manyScopes });
      refused(scopeRefused, "invalid_scope");
      assert.ok(JSON.stringify(scopeRefused.body).length < 1000, "the request's scopes are not echoed back");
      // Still usable after all that.
      assert.equal((await exchange(tokens.access_token, b.clientId)).status, 200);
    });

    test("an app must hold the grant: without it the exchange is refused before the token is looked at", async () => {
      const tokens = await signedIn();
      const plain = await createTestApp(s, tenantId, { kind: "native" });
      const r = await exchange(tokens.access_token, b.clientId, {}, plain);
      // oidc-provider's answer for a grant type the app does not hold (docs/sso.md "Grants").
      refused(r, "invalid_request");
      assert.match(String(r.body.error_description), /grant type is not allowed/);
      assert.equal(r.body.errorCode, undefined);
      // A third-party app holding the grant: its users consented to it alone.
      const thirdParty = await createTestApp(s, tenantId, { kind: "native", grantTypes: [...NATIVE_GRANTS] });
      await s.server.ctx.database.db
        .updateTable("sso_apps")
        .set({ first_party: 0 })
        .where("client_id", "=", thirdParty.clientId)
        .execute();
      const refusedThirdParty = await exchange(tokens.access_token, b.clientId, {}, thirdParty);
      refused(refusedThirdParty, "unauthorized_client");
      assert.match(String(refusedThirdParty.body.error_description), /tenant's own apps/);
    });

    test("/v1/apps: native and confidential apps may hold the grant, browser apps may not", async () => {
      for (const kind of ["native", "confidential"]) {
        const r = await s.api("POST", "/v1/apps", {
          apiKey,
          scenario,
          body: {
            name: `Exchanging ${kind}`,
            kind,
            redirectUris: ["http://127.0.0.1/callback"],
            grantTypes: ["authorization_code", TOKEN_EXCHANGE_GRANT_TYPE],
          },
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.deepEqual((r.body.app as { grantTypes: string[] }).grantTypes, [
          "authorization_code",
          TOKEN_EXCHANGE_GRANT_TYPE,
        ]);
      }
      const browser = await s.api("POST", "/v1/apps", {
        apiKey,
        scenario,
        body: {
          name: "Single page",
          kind: "browser",
          redirectUris: ["https://spa.example/cb"],
          grantTypes: ["authorization_code", TOKEN_EXCHANGE_GRANT_TYPE],
        },
      });
      assert.equal(browser.status, 400, JSON.stringify(browser.body));
      assert.equal(browser.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(browser.body.field, "body.grantTypes");
      assert.match(String(browser.body.errorMessage), /native or confidential/);
    });

    test("revoking the sign-in ends what was exchanged from it: the refresh token, down a chain of exchanges", async () => {
      const chain = await createTestApp(s, tenantId, {
        grantTypes: ["client_credentials", TOKEN_EXCHANGE_GRANT_TYPE],
        scopes: "openid profile",
      });
      const rpChain = await relyingParty(chain);
      const tokens = await signedIn();
      const first = await exchange(tokens.access_token, chain.clientId);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      // The chain app exchanges its token on for B.
      const second = await exchange(String(first.body.access_token), b.clientId, {}, chain);
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.deepEqual((await introspect(String(second.body.access_token))).amr, ["pwd", "otp"]);
      assert.equal((await introspect(String(first.body.access_token), rpChain)).active, true);
      await oidc.tokenRevocation(rpA, String(tokens.refresh_token));
      assert.equal((await introspect(String(first.body.access_token), rpChain)).active, false);
      assert.equal((await introspect(String(second.body.access_token))).active, false);
      const userinfo = await fetch(`${b.issuer.href}/me`, {
        headers: { authorization: `Bearer ${String(second.body.access_token)}` },
      });
      assert.equal(userinfo.status, 401);
    });

    test("disabling the user ends exchanged tokens; an expired account is refused with its own code", async () => {
      const frank = await createTestUser(s, apiKey, "frank");
      const { request, callback } = await signInForCode(s, tenantId, rpA, a, frank);
      const tokens = await oidc.authorizationCodeGrant(rpA, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
      const issued = await exchange(tokens.access_token, b.clientId);
      assert.equal(issued.status, 200);
      const patch = (body: Record<string, unknown>) =>
        s.api("PATCH", "/v1/users/frank", { apiKey, scenario, body });
      await patch({ expiresAt: new Date(s.clock.now() - 1000).toISOString() });
      refused(await exchange(tokens.access_token, b.clientId), "invalid_grant", ApiReturnCode.AccountExpired);
      await patch({ expiresAt: null });
      assert.equal((await exchange(tokens.access_token, b.clientId)).status, 200);
      await patch({ disabled: true });
      assert.equal((await introspect(String(issued.body.access_token))).active, false);
      refused(await exchange(tokens.access_token, b.clientId), "invalid_grant", invalidToken);
    });

    test("the target's access policy holds: a denying time window is invalid_grant with its SSOPolicy code", async () => {
      const target = await createTestApp(s, tenantId, { scopes: "openid profile" });
      const put = await s.api("PUT", `/v1/policies/apps/${target.clientId}`, {
        apiKey,
        scenario,
        body: {
          timeOfDay: { timeZone: "UTC", windows: [{ start: "00:00", end: "00:01" }], mode: "enforce" },
        },
      });
      assert.equal(put.body.errorCode, 0, JSON.stringify(put.body));
      const tokens = await signedIn();
      refused(
        await exchange(tokens.access_token, target.clientId),
        "invalid_grant",
        ApiReturnCode.SSOPolicyTimeRestriction,
      );
      assert.equal((await exchange(tokens.access_token, b.clientId)).status, 200, "B has no policy");
    });

    test("an issued token never outlives its subject token", async () => {
      const tokens = await signedIn();
      s.clock.advance(540_000);
      const r = await exchange(tokens.access_token, b.clientId);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const expiresIn = Number(r.body.expires_in);
      assert.ok(expiresIn >= 1 && expiresIn <= 60, String(expiresIn));
      s.clock.advance(61_000);
      assert.equal((await introspect(String(r.body.access_token))).active, false);
    });

    test("a burst of 20 concurrent exchanges: 20 distinct tokens, each active for B, no 5xx", async () => {
      const tokens = await signedIn();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => exchange(tokens.access_token, b.clientId)),
      );
      for (const r of answers) assert.equal(r.status, 200, JSON.stringify(r.body));
      const issued = new Set(answers.map((r) => String(r.body.access_token)));
      assert.equal(issued.size, 20);
      for (const token of issued) assert.equal((await introspect(token)).active, true);
    });

    test("a target that requires a second factor takes only a sign-in that proved one", async () => {
      const optional = await s.tenant(undefined, { ssoSecondFactor: "optional" });
      const id = optional.tenant.id;
      const created = await s.api("POST", "/v1/users", {
        apiKey: optional.apiKey,
        scenario,
        body: { username: "gail", password: "a long enough password" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const gail: TestUser = {
        id: (created.body.user as { id: string }).id,
        username: "gail",
        password: "a long enough password",
        totpHex: "",
      };
      const program = await createTestApp(s, id, { kind: "native", grantTypes: [...NATIVE_GRANTS] });
      const strict = await createTestApp(s, id, { scopes: "openid profile" });
      const lenient = await createTestApp(s, id, { scopes: "openid profile" });
      await s.server.ctx.database.db
        .updateTable("sso_apps")
        .set({ require_second_factor: 1 })
        .where("client_id", "=", strict.clientId)
        .execute();
      const rp = await relyingParty(program);
      const { request, callback } = await signInForCode(s, id, rp, program, gail);
      const tokens = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
      const r = await exchange(tokens.access_token, strict.clientId, {}, program);
      refused(r, "invalid_grant", invalidToken);
      assert.match(String(r.body.error_description), /second factor/);
      const ok = await exchange(tokens.access_token, lenient.clientId, {}, program);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual((await introspect(String(ok.body.access_token), await relyingParty(lenient))).amr, [
        "pwd",
      ]);
      // Once the tenant requires a second factor, no target takes a password-only sign-in.
      const patched = await s.api("PATCH", "/v1/tenant", {
        apiKey: optional.apiKey,
        scenario,
        body: { ssoSecondFactor: "required" },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      refused(
        await exchange(tokens.access_token, lenient.clientId, {}, program),
        "invalid_grant",
        invalidToken,
      );
    });

    test("a password-only sign-in gets no token for a target whose pages would ask this user for a factor", async () => {
      // The tenant requires no factor and the target does not either; but the target's sign-in
      // pages ask anyone who has a factor it accepts. The program accepts HOTP only, which this
      // user (TOTP) does not have: its sign-in proved the password alone.
      const optional = await s.tenant(undefined, { ssoSecondFactor: "optional" });
      const id = optional.tenant.id;
      const ivy = await createTestUser(s, optional.apiKey, "ivy");
      const program = await createTestApp(s, id, { kind: "native", grantTypes: [...NATIVE_GRANTS] });
      const asksTotp = await createTestApp(s, id, { scopes: "openid profile" });
      const hotpOnly = await createTestApp(s, id, { scopes: "openid profile" });
      await s.server.ctx.database.db
        .updateTable("sso_apps")
        .set({ second_factors: JSON.stringify(["hotp"]) })
        .where("client_id", "in", [program.clientId, hotpOnly.clientId])
        .execute();
      const rp = await relyingParty(program);
      const { request, callback } = await signInForCode(s, id, rp, program, ivy);
      const tokens = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
      assert.deepEqual((await introspect(tokens.access_token, rp)).amr, ["pwd"]);
      const r = await exchange(tokens.access_token, asksTotp.clientId, {}, program);
      refused(r, "invalid_grant", invalidToken);
      assert.match(String(r.body.error_description), /second factor/);
      const ok = await exchange(tokens.access_token, hotpOnly.clientId, {}, program);
      assert.equal(ok.status, 200, `its pages would not ask ivy either: ${JSON.stringify(ok.body)}`);
    });

    test("a sign-in revoked between the exchange's checks and its save: the exchange undoes itself", async () => {
      const tokens = await signedIn();
      // The interleaving is forced, not hoped for: the revocation runs just before the exchange
      // saves its token (the tenant's provider is the one serving these requests).
      const provider = await s.server.ctx.sso.providerFor(tenantId);
      const proto = provider.AccessToken.prototype as unknown as { save(): Promise<string>; gty?: string };
      const save = proto.save;
      let saved: string | undefined;
      Object.defineProperty(proto, "save", {
        configurable: true,
        value: async function (this: typeof proto) {
          if (this.gty === TOKEN_EXCHANGE_GRANT_TYPE)
            await oidc.tokenRevocation(rpA, String(tokens.refresh_token));
          saved = await save.call(this);
          return saved;
        },
      });
      try {
        refused(await exchange(tokens.access_token, b.clientId), "invalid_grant", invalidToken);
      } finally {
        delete (proto as { save?: unknown }).save;
      }
      assert.ok(saved !== undefined, "the token was saved before the exchange noticed");
      assert.equal((await introspect(saved)).active, false);
    });

    test("deleting the app a token was exchanged from ends the exchanged token", async () => {
      const program = await createTestApp(s, tenantId, { kind: "native", grantTypes: [...NATIVE_GRANTS] });
      const rp = await relyingParty(program);
      const tokens = await signedIn(program, rp);
      const issued = await exchange(tokens.access_token, b.clientId, {}, program);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const other = await exchange((await signedIn()).access_token, b.clientId);
      const deleted = await s.api("DELETE", `/v1/apps/${program.clientId}`, { apiKey, scenario });
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      assert.equal((await introspect(String(issued.body.access_token))).active, false);
      assert.equal(
        (await introspect(String(other.body.access_token))).active,
        true,
        "A's sign-in is another",
      );
    });

    test("deleting an app tokens were exchanged for ends those tokens, not the sign-in they came from", async () => {
      const target = await createTestApp(s, tenantId, { scopes: "openid profile" });
      const tokens = await signedIn();
      const issued = await exchange(tokens.access_token, target.clientId);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const deleted = await s.api("DELETE", `/v1/apps/${target.clientId}`, { apiKey, scenario });
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      assert.equal((await introspect(tokens.access_token, rpA)).active, true, "A's own access token");
      const refreshed = await tokenRequest(a, {
        grant_type: "refresh_token",
        refresh_token: String(tokens.refresh_token),
      });
      assert.equal(refreshed.status, 200, `A's sign-in goes on: ${JSON.stringify(refreshed.body)}`);
    });

    test("a PAT's access token exchanges without a second factor claimed, and revoking the PAT ends the exchanged token", async () => {
      // A PAT proves no second factor: only a tenant that does not require one lets it through.
      const optional = await s.tenant(undefined, { ssoSecondFactor: "optional" });
      const created = await s.api("POST", "/v1/users", {
        apiKey: optional.apiKey,
        scenario,
        body: { username: "hank" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const script = await createTestApp(s, optional.tenant.id, {
        grantTypes: [PAT_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE],
        scopes: "openid profile",
      });
      const target = await createTestApp(s, optional.tenant.id, { scopes: "openid profile" });
      const pat = await s.api("POST", "/v1/users/hank/personal-access-tokens", {
        apiKey: optional.apiKey,
        scenario,
        body: { clientId: script.clientId, name: "script", expiresInDays: 30 },
      });
      assert.equal(pat.status, 201, JSON.stringify(pat.body));
      const access = await tokenRequest(script, {
        grant_type: PAT_GRANT_TYPE,
        personal_access_token: String(pat.body.token),
      });
      assert.equal(access.status, 200, JSON.stringify(access.body));
      const issued = await exchange(String(access.body.access_token), target.clientId, {}, script);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const rpTarget = await relyingParty(target);
      const seen = await introspect(String(issued.body.access_token), rpTarget);
      assert.equal(seen.active, true);
      assert.equal(seen.amr, undefined, "no factor is claimed that no sign-in proved");
      const patId = (pat.body.personalAccessToken as { id: string }).id;
      const revoked = await s.api("DELETE", `/v1/users/hank/personal-access-tokens/${patId}`, {
        apiKey: optional.apiKey,
        scenario,
      });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.equal((await introspect(String(issued.body.access_token), rpTarget)).active, false);
    });
  });
}
