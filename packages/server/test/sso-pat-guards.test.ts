import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { PAT_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { signInToAccount } from "./helpers/pat-account-session.ts";
import { insertTestApp, rpFor } from "./helpers/pat-test-app.ts";
import { createTestApp } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * What a personal access token may not get around: the second factor an app or the tenant
 * requires (the self-service page), the tenant's and the app's access policies (the exchange),
 * and its own revocation (the access tokens it was exchanged for die with it).
 */
const scenario = "sso: personal access token guards";
const tokenPattern = /tpat_[A-Za-z0-9_-]{43}/;
const password = "correct horse battery";
const WEDNESDAY_10_UTC = Date.UTC(2026, 0, 14, 10, 0);
const DAY_MS = 24 * 3600 * 1000;
const secretHex = "3132333435363738393031323334353637383930";

for (const backend of backends) {
  suite(`personal access token guards (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
      s.clock.set(WEDNESDAY_10_UTC);
    });
    after(() => s.close());

    /** A tenant whose user `carol` has no second factor, so that she can sign in with the password only. */
    async function optionalTenant() {
      // Loosened for this test: a password-only session exists only where the tenant allows one.
      const { tenant, apiKey } = await s.tenant(undefined, { ssoSecondFactor: "optional" });
      await s.api("POST", "/v1/users", { apiKey, scenario, body: { username: "carol", password } });
      const codesOf = async (operation: string) => {
        const r = await s.api("GET", `/v1/audit?operation=${encodeURIComponent(operation)}`, {
          apiKey,
          scenario,
        });
        const events = r.body.events as { resultCode: number; actor: string | null }[];
        for (const e of events) recordObservedCode("api", e.resultCode, scenario);
        return events;
      };
      return { tenant, apiKey, codesOf };
    }

    const newPat = async (apiKey: string, clientId: string, expiresInDays = 30) => {
      const r = await s.api("POST", "/v1/users/carol/personal-access-tokens", {
        apiKey,
        scenario,
        body: { clientId, name: "script", expiresInDays },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { token: r.body.token as string, id: (r.body.personalAccessToken as { id: string }).id };
    };

    const exchange = (rp: oidc.Configuration, token: string) =>
      oidc.genericGrantRequest(rp, PAT_GRANT_TYPE, { personal_access_token: token });

    /** The exchange is OAuth invalid_grant carrying `code`; records the code it observed. */
    async function refused(promise: Promise<unknown>, code: number, what: string) {
      const error = await promise.then(
        () => assert.fail(`${what}: exchanged`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof oidc.ResponseBodyError, `${what}: ${String(error)}`);
      assert.equal(error.status, 400, what);
      assert.equal(error.error, "invalid_grant", what);
      assert.equal(error.cause.errorCode, code, `${what}: ${JSON.stringify(error.cause)}`);
      assert.ok(typeof error.cause.errorName === "string" && error.cause.errorName !== "", what);
      recordObservedCode("api", code, scenario);
    }

    /** Whether the access token still works: userinfo, and introspection by the app itself. */
    async function works(rp: oidc.Configuration, tenantId: string, accessToken: string) {
      const info = await fetch(`${s.url}/oidc/${tenantId}/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const introspected = await oidc.tokenIntrospection(rp, accessToken);
      return { userinfo: info.status, active: introspected.active };
    }

    test("item 1: a password-only session gets no PAT for an app that requires a second factor", async () => {
      const { tenant, apiKey, codesOf } = await optionalTenant();
      const strict = await createTestApp(s, tenant.id, {
        confidential: true,
        requireSecondFactor: true,
        grantTypes: [PAT_GRANT_TYPE],
      });
      const lenient = await createTestApp(s, tenant.id, { confidential: true, grantTypes: [PAT_GRANT_TYPE] });
      const browser = await signInToAccount(s, tenant.id, { username: "carol", password, otp: () => "" });
      const pageUrl = new URL(`${s.url}/oidc/${tenant.id}/account/tokens`);
      const page = await (await browser.request(pageUrl)).text();
      assert.doesNotMatch(page, new RegExp(`value="${strict.clientId}"`), "the strict app is not offered");
      assert.match(page, new RegExp(`value="${lenient.clientId}"`));
      assert.match(page, /require a second factor/);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
      // A crafted post for the strict app: refused as an attempt to get around the second factor.
      const crafted = await browser.request(pageUrl, {
        method: "POST",
        form: { csrf, clientId: strict.clientId, name: "x", expiresInDays: "30" },
      });
      const text = await crafted.text();
      assert.equal(crafted.status, 401, text);
      assert.doesNotMatch(text, tokenPattern);
      const listed = await s.api("GET", "/v1/users/carol/personal-access-tokens", { apiKey, scenario });
      assert.deepEqual(listed.body.personalAccessTokens, []);
      const codes = (await codesOf("POST /oidc/:tenant/account/tokens")).map((e) => e.resultCode);
      assert.ok(codes.includes(ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass), String(codes));
      // The lenient app still gets one.
      const ok = await browser.request(pageUrl, {
        method: "POST",
        form: { csrf, clientId: lenient.clientId, name: "y", expiresInDays: "30" },
      });
      assert.equal(ok.status, 201);
      assert.match(await ok.text(), tokenPattern);

      // The tenant now requires a second factor: the password-only session no longer serves the page.
      await s.api("PATCH", "/v1/tenant", { apiKey, scenario, body: { ssoSecondFactor: "required" } });
      const again = await browser.request(pageUrl);
      assert.equal(again.status, 303);
      const location = new URL(again.headers.get("location") ?? "");
      assert.equal(location.pathname, `/oidc/${tenant.id}/auth`);
      // Not straight back with the old session (a loop): the sign-in pages run again.
      const signedIn = new URL(`/oidc/${tenant.id}/account/signed-in`, s.server.ctx.publicUrl).href;
      const landing = await browser.follow(location, signedIn);
      assert.ok(!("callback" in landing), "the password-only session was reused");
      assert.match(landing.html, /name="password"/);
      const post = await browser.request(pageUrl, {
        method: "POST",
        form: { csrf, clientId: lenient.clientId, name: "z", expiresInDays: "30" },
      });
      assert.equal(post.status, 303, "nothing is created; the visitor goes to sign in");
      const after = await s.api("GET", "/v1/users/carol/personal-access-tokens", { apiKey, scenario });
      assert.equal((after.body.personalAccessTokens as unknown[]).length, 1);
    });

    test("item 1: a session that proved the second factor is offered and gets the strict app's PAT", async () => {
      const { tenant, apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", { apiKey, scenario, body: { username: "carol", password } });
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        scenario,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username: "carol" },
      });
      const strict = await createTestApp(s, tenant.id, {
        confidential: true,
        requireSecondFactor: true,
        grantTypes: [PAT_GRANT_TYPE],
      });
      s.clock.advance(30_000);
      const otp = () => oathtoolTotp(secretHex, s.clock.now());
      const browser = await signInToAccount(s, tenant.id, { username: "carol", password, otp });
      const pageUrl = new URL(`${s.url}/oidc/${tenant.id}/account/tokens`);
      const page = await (await browser.request(pageUrl)).text();
      assert.match(page, new RegExp(`value="${strict.clientId}"`));
      assert.doesNotMatch(page, /require a second factor/);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
      const created = await browser.request(pageUrl, {
        method: "POST",
        form: { csrf, clientId: strict.clientId, name: "x", expiresInDays: "30" },
      });
      assert.equal(created.status, 201);
      assert.match(await created.text(), tokenPattern);
    });

    test("item 1: the administrator's API may create one for such an app, audited under its key", async () => {
      const { tenant, apiKey, codesOf } = await optionalTenant();
      const strict = await createTestApp(s, tenant.id, {
        confidential: true,
        requireSecondFactor: true,
        grantTypes: [PAT_GRANT_TYPE],
      });
      await newPat(apiKey, strict.clientId);
      const events = await codesOf("POST /v1/users/:username/personal-access-tokens");
      assert.equal(events.length, 1);
      assert.equal(events[0]?.resultCode, ApiReturnCode.Success);
      assert.match(events[0]?.actor ?? "", /^apikey:/, "the administrator's key is the actor");
    });

    test("item 6: the exchange is refused by the app's and the tenant's access policies, audited", async () => {
      s.clock.set(WEDNESDAY_10_UTC);
      const { tenant, apiKey, codesOf } = await optionalTenant();
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const rp = await rpFor(s.url, tenant.id, app);
      const { token } = await newPat(apiKey, app.clientId);
      assert.ok((await exchange(rp, token)).access_token);
      const put = await s.api("PUT", `/v1/policies/apps/${app.clientId}`, {
        apiKey,
        scenario,
        body: { clientAddresses: { ranges: ["203.0.113.0/24"], mode: "enforce" } },
      });
      assert.equal(put.body.errorCode, 0, JSON.stringify(put.body));
      await refused(exchange(rp, token), ApiReturnCode.SSOPolicyClientIPInvalid, "address outside the range");
      await s.api("DELETE", `/v1/policies/apps/${app.clientId}`, { apiKey, scenario });
      assert.ok((await exchange(rp, token)).access_token, "allowed again without the policy");
      await s.api("PUT", "/v1/policies/tenant", {
        apiKey,
        scenario,
        body: {
          timeOfDay: { timeZone: "UTC", windows: [{ start: "09:00", end: "12:00" }], mode: "enforce" },
        },
      });
      s.clock.set(WEDNESDAY_10_UTC + 8 * 3600_000);
      await refused(exchange(rp, token), ApiReturnCode.SSOPolicyTimeRestriction, "outside the time window");
      const codes = (await codesOf("sso.personal-access-token.exchange")).map((e) => e.resultCode);
      assert.ok(codes.includes(ApiReturnCode.SSOPolicyClientIPInvalid), String(codes));
      assert.ok(codes.includes(ApiReturnCode.SSOPolicyTimeRestriction), String(codes));
      s.clock.set(WEDNESDAY_10_UTC);
    });

    test("item 6: an exchange is not a sign-in: it does not use up the daily allowance", async () => {
      const { tenant, apiKey } = await optionalTenant();
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const rp = await rpFor(s.url, tenant.id, app);
      const { token } = await newPat(apiKey, app.clientId);
      await s.api("PUT", `/v1/policies/apps/${app.clientId}`, {
        apiKey,
        scenario,
        body: { dailyAllowance: { maxSignIns: 1, timeZone: "UTC", mode: "enforce" } },
      });
      // A program exchanges its PAT every few minutes; none of that is a person signing in.
      for (let i = 0; i < 3; i += 1) assert.ok((await exchange(rp, token)).access_token);
      const signIn = () =>
        s.api("POST", "/v1/auth/password", {
          apiKey,
          scenario,
          body: { username: "carol", password, app: app.clientId },
        });
      assert.equal((await signIn()).body.errorCode, 0, "the one sign-in of the day is still there");
      const second = await signIn();
      assert.equal(second.body.errorCode, ApiReturnCode.SSOPolicyNoDailyAccessRestriction);
      // A used-up allowance does not stop the program either.
      assert.ok((await exchange(rp, token)).access_token);
    });

    test("item 8: revoking a PAT (API or page) ends the access tokens exchanged for it", async () => {
      const { tenant, apiKey } = await optionalTenant();
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const rp = await rpFor(s.url, tenant.id, app);
      const first = await newPat(apiKey, app.clientId);
      const kept = await newPat(apiKey, app.clientId);
      const a1 = (await exchange(rp, first.token)).access_token;
      const a2 = (await exchange(rp, first.token)).access_token;
      const other = (await exchange(rp, kept.token)).access_token;
      assert.deepEqual(await works(rp, tenant.id, a1), { userinfo: 200, active: true });
      await s.api("DELETE", `/v1/users/carol/personal-access-tokens/${first.id}`, { apiKey, scenario });
      for (const accessToken of [a1, a2])
        assert.deepEqual(await works(rp, tenant.id, accessToken), { userinfo: 401, active: false });
      assert.deepEqual(await works(rp, tenant.id, other), { userinfo: 200, active: true }, "another PAT's");

      // The page's revoke button does the same.
      const browser = await signInToAccount(s, tenant.id, { username: "carol", password, otp: () => "" });
      const pageUrl = `${s.url}/oidc/${tenant.id}/account/tokens`;
      const csrf = /name="csrf" value="([^"]+)"/.exec(
        await (await browser.request(new URL(pageUrl))).text(),
      )?.[1];
      const revoked = await browser.request(new URL(`${pageUrl}/${kept.id}/revoke`), {
        method: "POST",
        form: { csrf: csrf ?? "" },
      });
      assert.equal(revoked.status, 303);
      assert.deepEqual(await works(rp, tenant.id, other), { userinfo: 401, active: false });
    });

    test("item 8: exchanges racing a revoke leave no working access token", async () => {
      const { tenant, apiKey } = await optionalTenant();
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const rp = await rpFor(s.url, tenant.id, app);
      const { token, id } = await newPat(apiKey, app.clientId);
      // The revoke is sent as soon as the first exchange answers, while the others are in flight.
      const exchanges = Array.from({ length: 24 }, () => exchange(rp, token));
      await Promise.any(exchanges);
      const revoke = s.api("DELETE", `/v1/users/carol/personal-access-tokens/${id}`, { apiKey, scenario });
      const results = await Promise.allSettled(exchanges);
      assert.equal((await revoke).status, 200);
      const issued = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.access_token] : []));
      assert.ok(issued.length >= 1);
      for (const accessToken of issued)
        assert.deepEqual(await works(rp, tenant.id, accessToken), { userinfo: 401, active: false });
      await refused(exchange(rp, token), ApiReturnCode.PartnerUserLoginFailedInvalidToken, "revoked");
    });

    test("item 8: access tokens end with their PAT's expiry, and with the user's sign-in rights", async () => {
      const { tenant, apiKey } = await optionalTenant();
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      const rp = await rpFor(s.url, tenant.id, app);
      const { token } = await newPat(apiKey, app.clientId, 1);
      s.clock.advance(DAY_MS - 30_000);
      const late = (await exchange(rp, token)).access_token;
      assert.deepEqual(await works(rp, tenant.id, late), { userinfo: 200, active: true });
      s.clock.advance(31_000);
      assert.deepEqual(await works(rp, tenant.id, late), { userinfo: 401, active: false });

      const { token: live } = await newPat(apiKey, app.clientId);
      const accessToken = (await exchange(rp, live)).access_token;
      await s.api("PATCH", "/v1/users/carol", { apiKey, scenario, body: { disabled: true } });
      const info = await fetch(`${s.url}/oidc/${tenant.id}/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(info.status, 401, "userinfo refuses a disabled user's token");
      s.clock.set(WEDNESDAY_10_UTC);
    });
  });
}
