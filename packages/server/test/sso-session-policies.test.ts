import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { DEVICE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { accountKey } from "../src/sso/provider/oidc-adapter.ts";
import * as grants from "./helpers/sso-grant-fixtures.ts";
import {
  auditedWith,
  Browser,
  createTestApp,
  redeem,
  type SsoSignInOptions,
  ssoSignIn,
  ssoSignInUntil,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Every way to a token after the first sign-in: a reused provider session (same browser) and a
 * refresh token are held to the access policies as they stand now; the daily allowance counts
 * completed interactive sign-ins only; a password change, a disabled or deleted user ends the
 * provider's sessions, grants and refresh tokens; a password-only session is not reused once the
 * user has a factor; abandoned self-enrolments do not pile up tokens.
 */
const WEDNESDAY_10_UTC = Date.UTC(2026, 0, 14, 10, 0);
const HOUR = 3600_000;
const password = "a long enough password";
const secret32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

for (const backend of backends) {
  suite(`SSO sessions and refresh tokens under policies and password changes (${backend})`, () => {
    let s: TestServer;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    /** A tenant where the password alone signs in (these tests are about what comes after). */
    async function setUp(settings: Parameters<TestServer["tenant"]>[1] = { ssoSecondFactor: "optional" }) {
      s.clock.set(WEDNESDAY_10_UTC);
      n += 1;
      const username = `sessions${n}`;
      const { tenant, apiKey } = await s.tenant(undefined, settings);
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password },
        scenario: "sso sessions: setup",
      });
      const app = await createTestApp(s, tenant.id);
      const options: SsoSignInOptions = {
        baseUrl: s.url,
        tenantId: tenant.id,
        clientId: app.clientId,
        redirectUri: app.redirectUri,
        username,
        password,
        scope: "openid offline_access",
        browser: new Browser(),
      };
      return { tenant, apiKey, app, username, options };
    }

    const setPolicy = async (apiKey: string, app: TestApp, body: object) => {
      const put = await s.api("PUT", `/v1/policies/apps/${app.clientId}`, {
        apiKey,
        body,
        scenario: "sso sessions: policy",
      });
      assert.equal(put.body.errorCode, 0, JSON.stringify(put.body));
    };

    /** A refresh at the token endpoint as a public app makes it; the JSON answer. */
    async function refresh(tenantId: string, app: TestApp, token: string, scenario: string) {
      const r = await fetch(`${s.url}/oidc/${tenantId}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: token,
          client_id: app.clientId,
        }),
      });
      const body = (await r.json()) as Record<string, unknown>;
      if (typeof body.errorCode === "number") recordObservedCode("api", body.errorCode, scenario);
      return { status: r.status, body };
    }

    test("a reused session outside the app's window is sent through the pages, which deny (9065 audited)", async () => {
      const { apiKey, app, options } = await setUp();
      await setPolicy(apiKey, app, {
        timeOfDay: { timeZone: "UTC", windows: [{ start: "09:00", end: "12:00" }], mode: "enforce" },
      });
      assert.ok((await ssoSignIn(options)).code !== undefined, "10:00: the first sign-in");
      // Within the window the session is reused: no page is shown.
      s.clock.set(WEDNESDAY_10_UTC + HOUR);
      assert.deepEqual((await ssoSignIn(options)).steps, []);
      s.clock.set(WEDNESDAY_10_UTC + 8 * HOUR - 60_000);
      const before = (
        await auditedWith(s, apiKey, ApiReturnCode.SSOPolicyTimeRestriction, "sso sessions: reuse")
      ).length;
      assert.equal((await ssoSignIn(options)).callbackUrl.searchParams.get("error"), "access_denied");
      const after = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOPolicyTimeRestriction,
        "sso sessions: reuse",
      );
      assert.ok(after.length > before, "the page's denial is audited");
    });

    test("a session reuse does not count against the daily allowance; completed sign-ins do", async () => {
      const { apiKey, app, options } = await setUp();
      await setPolicy(apiKey, app, { dailyAllowance: { timeZone: "UTC", maxSignIns: 2, mode: "enforce" } });
      assert.ok((await ssoSignIn(options)).code !== undefined);
      for (let i = 0; i < 3; i += 1) assert.deepEqual((await ssoSignIn(options)).steps, [], "reused");
      assert.ok((await ssoSignIn({ ...options, browser: new Browser() })).code !== undefined, "the second");
      assert.equal(
        (await ssoSignIn({ ...options, browser: new Browser() })).callbackUrl.searchParams.get("error"),
        "access_denied",
      );
    });

    test("a refresh outside the window or from outside the ranges is invalid_grant with the policy's code, and works again inside", async () => {
      const { tenant, apiKey, app, options } = await setUp();
      await setPolicy(apiKey, app, {
        timeOfDay: { timeZone: "UTC", windows: [{ start: "09:00", end: "12:00" }], mode: "enforce" },
      });
      const tokens = await redeem(await ssoSignIn({ ...options, prompt: "consent" }));
      const first = tokens.refresh_token ?? "";
      assert.ok(first !== "", "a refresh token");
      s.clock.set(WEDNESDAY_10_UTC + 8 * HOUR);
      const late = await refresh(tenant.id, app, first, "sso sessions: refresh late");
      assert.equal(late.status, 400);
      assert.equal(late.body.error, "invalid_grant");
      assert.equal(late.body.errorCode, ApiReturnCode.SSOPolicyTimeRestriction);
      assert.equal(late.body.errorName, "SSOPolicyTimeRestriction");
      assert.equal(late.body.access_token, undefined);
      // The refusal did not use the token up: inside the window (next morning) it works.
      s.clock.set(WEDNESDAY_10_UTC + 24 * HOUR);
      const next = await refresh(tenant.id, app, first, "sso sessions: refresh next day");
      assert.equal(next.status, 200, JSON.stringify(next.body));
      assert.equal(typeof next.body.access_token, "string");
      await setPolicy(apiKey, app, { clientAddresses: { ranges: ["203.0.113.0/24"], mode: "enforce" } });
      const away = await refresh(
        tenant.id,
        app,
        String(next.body.refresh_token),
        "sso sessions: refresh address",
      );
      assert.equal(away.body.error, "invalid_grant");
      assert.equal(away.body.errorCode, ApiReturnCode.SSOPolicyClientIPInvalid);
      const audited = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOPolicyClientIPInvalid,
        "sso sessions: refresh",
      );
      assert.ok(
        audited.some((e) => e.operation.includes("clientAddresses enforce")),
        JSON.stringify(audited),
      );
    });

    test("a device code approved inside the window gets no tokens once the window has closed (9065)", async () => {
      const { tenant, apiKey } = await setUp();
      const user = await grants.createTestUser(s, apiKey, `device${n}`);
      const app = await grants.createTestApp(s, tenant.id, {
        kind: "native",
        grantTypes: [DEVICE_GRANT_TYPE, "refresh_token"],
        redirectUris: [],
      });
      const put = await s.api("PUT", `/v1/policies/apps/${app.clientId}`, {
        apiKey,
        body: {
          timeOfDay: { timeZone: "UTC", windows: [{ start: "09:00", end: "11:00" }], mode: "enforce" },
        },
        scenario: "sso sessions: policy",
      });
      assert.equal(put.body.errorCode, 0);
      s.clock.set(WEDNESDAY_10_UTC + HOUR - 120_000);
      const started = await oidc.initiateDeviceAuthorization(await grants.relyingParty(app), {
        scope: "openid",
      });
      const browser = new Browser();
      const page = new URL(started.verification_uri);
      const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
      const form = await browser.request(page);
      const confirm = await browser.request(page, {
        method: "POST",
        form: { xsrf: xsrfOf(await form.text()), user_code: started.user_code },
      });
      const answers = {
        ...grants.pageAnswers(s, tenant.id, app, user),
        redirectUri: "urn:tessera:test:none",
      };
      const signIn = await browser.follow(page, answers.redirectUri, {
        method: "POST",
        form: { xsrf: xsrfOf(await confirm.text()), user_code: started.user_code, confirm: "yes" },
      });
      const end = await grants.passSignInPages(browser, signIn, answers);
      assert.ok(!("callback" in end) && end.status === 200, "approved on the pages at 10:59");
      s.clock.set(WEDNESDAY_10_UTC + HOUR + 60_000);
      const late = await grants.tokenRequest(app, {
        grant_type: DEVICE_GRANT_TYPE,
        device_code: started.device_code,
      });
      if (typeof late.body.errorCode === "number")
        recordObservedCode("api", late.body.errorCode, "sso sessions: device");
      assert.equal(late.status, 400, JSON.stringify(late.body));
      assert.equal(late.body.error, "invalid_grant");
      assert.equal(late.body.errorCode, ApiReturnCode.SSOPolicyTimeRestriction);
      assert.equal(late.body.access_token, undefined);
    });

    test("the allowance is counted once the sign-in is complete: the password alone uses none of it", async () => {
      const { tenant, apiKey, app, username } = await setUp({ ssoSecondFactor: "required" });
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: secret32, username },
        scenario: "sso sessions: setup",
      });
      await setPolicy(apiKey, app, { dailyAllowance: { timeZone: "UTC", maxSignIns: 1, mode: "enforce" } });
      const options: SsoSignInOptions = {
        baseUrl: s.url,
        tenantId: tenant.id,
        clientId: app.clientId,
        redirectUri: app.redirectUri,
        username,
        password,
      };
      // Someone with the password only, five times: each stops at the second factor.
      for (let i = 0; i < 5; i += 1) await ssoSignInUntil({ ...options, browser: new Browser() }, "factor");
      const { oathtoolTotp } = await import("./helpers/oathtool.ts");
      const hex = Buffer.from("12345678901234567890").toString("hex");
      const otp = () => oathtoolTotp(hex, s.clock.now());
      const done = await ssoSignIn({ ...options, otp, browser: new Browser() });
      assert.ok(done.code !== undefined, "the user's own sign-in still has its allowance");
      s.clock.advance(30_000);
      const before = (
        await auditedWith(s, apiKey, ApiReturnCode.SSOPolicyNoDailyAccessRestriction, "sso sessions: count")
      ).length;
      const second = await ssoSignIn({ ...options, otp, browser: new Browser() });
      assert.equal(second.code, undefined);
      assert.equal(second.callbackUrl.searchParams.get("error"), "access_denied");
      const counted = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOPolicyNoDailyAccessRestriction,
        "sso sessions: count",
      );
      assert.ok(counted.length > before, "the lost count after the factor is 9064, audited");
    });

    test("a burst of correct password posts to one sign-in counts once", async () => {
      const { apiKey, app, options } = await setUp();
      await setPolicy(apiKey, app, { dailyAllowance: { timeZone: "UTC", maxSignIns: 2, mode: "enforce" } });
      const at = await ssoSignInUntil(options, "password");
      const posts = await Promise.all(
        Array.from({ length: 8 }, () =>
          at.browser.follow(at.form.action, app.redirectUri, {
            method: "POST",
            form: { ...at.form.hidden, username: options.username, password },
          }),
        ),
      );
      assert.ok(posts.length === 8);
      // One sign-in of two used: another browser gets the second, a third browser none.
      assert.ok((await ssoSignIn({ ...options, browser: new Browser() })).code !== undefined);
      assert.equal(
        (await ssoSignIn({ ...options, browser: new Browser() })).callbackUrl.searchParams.get("error"),
        "access_denied",
      );
    });

    test("a password reset ends the stolen session and refresh token", async () => {
      const { tenant, apiKey, app, username, options } = await setUp();
      const tokens = await redeem(await ssoSignIn({ ...options, prompt: "consent" }));
      assert.ok(tokens.refresh_token !== undefined);
      // The thief's copy of the browser (cookies) and of the refresh token.
      const thief = new Browser();
      thief.jar = options.browser?.jar.clone() ?? thief.jar;
      assert.deepEqual(
        (await ssoSignIn({ ...options, browser: thief })).steps,
        [],
        "the stolen session works",
      );
      const reset = await s.api("POST", `/v1/users/${username}/password`, {
        apiKey,
        body: { newPassword: "another long enough password" },
        scenario: "sso sessions: reset",
      });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      const refused = await refresh(tenant.id, app, tokens.refresh_token ?? "", "sso sessions: after reset");
      assert.equal(refused.body.error, "invalid_grant");
      // The stolen cookies now meet the password page; the old password gets nowhere.
      await assert.rejects(ssoSignIn({ ...options, browser: thief }), /refused/);
      const userinfo = await fetch(`${s.url}/oidc/${tenant.id}/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(userinfo.status, 401, "the access token went with its grant");
    });

    test("the browser that changes an expired password on the pages signs in; its earlier session is not a stolen one", async () => {
      const { options } = await setUp({ ssoSecondFactor: "optional", passwordMaxAgeDays: 1 });
      assert.ok((await ssoSignIn(options)).code !== undefined);
      s.clock.advance(2 * 24 * HOUR);
      const changed = await ssoSignIn({ ...options, prompt: "login", newPassword: "a brand new passphrase" });
      assert.deepEqual(changed.steps, ["password", "change-password"]);
      assert.ok(changed.code !== undefined, `a code: ${changed.callbackUrl}`);
    });

    test("disabling or deleting a user ends their provider sessions and refresh tokens", async () => {
      for (const how of ["disable", "delete"] as const) {
        const { tenant, apiKey, app, username, options } = await setUp();
        const tokens = await redeem(await ssoSignIn({ ...options, prompt: "consent" }));
        assert.ok(tokens.refresh_token !== undefined);
        const rows = () =>
          s.server.ctx.database.db
            .selectFrom("sso_models")
            .select("model")
            .where("account_id", "=", accountKey(tokens.claims()?.sub ?? ""))
            .execute();
        assert.ok((await rows()).some((r) => r.model === "Session"));
        const changed =
          how === "disable"
            ? await s.api("PATCH", `/v1/users/${username}`, {
                apiKey,
                body: { disabled: true },
                scenario: "sso sessions: disable",
              })
            : await s.api("DELETE", `/v1/users/${username}`, { apiKey, scenario: "sso sessions: delete" });
        assert.equal(changed.body.errorCode, 0);
        assert.deepEqual(await rows(), [], `${how}: nothing of the account is left`);
        const refused = await refresh(tenant.id, app, tokens.refresh_token ?? "", "sso sessions: disabled");
        assert.equal(refused.body.error, "invalid_grant");
      }
    });

    test("a password-only session is not reused once the user has a factor: the factor is asked", async () => {
      const { apiKey, username, options } = await setUp();
      assert.ok((await ssoSignIn(options)).code !== undefined, "password only: the user has no factor");
      assert.deepEqual((await ssoSignIn(options)).steps, [], "reused while the user has none");
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: secret32, username },
        scenario: "sso sessions: enrolled later",
      });
      const { oathtoolTotp } = await import("./helpers/oathtool.ts");
      const hex = Buffer.from("12345678901234567890").toString("hex");
      const again = await ssoSignIn({ ...options, otp: () => oathtoolTotp(hex, s.clock.now()) });
      assert.deepEqual(again.steps, ["password", "factor"]);
      assert.ok(again.code !== undefined);
    });

    test("abandoned self-enrolments leave at most the last sign-in's token", async () => {
      const { apiKey, username, options } = await setUp({
        ssoSecondFactor: "required",
        ssoSelfEnrolment: true,
      });
      for (let i = 0; i < 4; i += 1) await ssoSignInUntil({ ...options, browser: new Browser() }, "enrol");
      const list = await s.api("GET", `/v1/users/${username}/authenticators`, {
        apiKey,
        scenario: "sso sessions: enrolments",
      });
      const tokens = list.body.authenticators as { activated: boolean }[];
      assert.equal(tokens.length, 1, JSON.stringify(tokens));
      assert.equal(tokens[0]?.activated, false);
    });

    test("an abandoned enrolment's token goes when housekeeping sweeps its sign-in", async () => {
      const { apiKey, username, options } = await setUp({
        ssoSecondFactor: "required",
        ssoSelfEnrolment: true,
      });
      await ssoSignInUntil(options, "enrol");
      const count = async () => {
        const list = await s.api("GET", `/v1/users/${username}/authenticators`, {
          apiKey,
          scenario: "sso sessions: enrolments",
        });
        return (list.body.authenticators as unknown[]).length;
      };
      assert.equal(await count(), 1);
      s.clock.advance(24 * HOUR);
      await runHousekeepingRound(s.server.ctx, s.clock.now());
      assert.equal(await count(), 0, "the unconfirmed token went with its sign-in");
    });
  });
}
