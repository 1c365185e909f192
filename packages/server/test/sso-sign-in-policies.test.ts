import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { auditedWith, createTestApp, ssoSignIn, ssoSignInUntil } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The access policies on the sign-in pages: the same evaluation as /v1/auth/* (its own suites
 * cover every rule), here seen from a browser. A denial after the right password sends the
 * browser back to the app with access_denied (no code, no rule named); a logged rule lets the
 * sign-in through; both are audited.
 */
const WEDNESDAY_10_UTC = Date.UTC(2026, 0, 14, 10, 0);

for (const backend of backends) {
  suite(`access policies on the sign-in pages (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
      s.clock.set(WEDNESDAY_10_UTC);
    });
    after(async () => {
      await s.close();
    });

    async function setUp(name: string) {
      // A password-only tenant keeps these tests about the policy step, not the second factor.
      const { tenant, apiKey } = await s.tenant(undefined, { ssoSecondFactor: "optional" });
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: name, password: "a long enough password" },
        scenario: "sso policies: setup",
      });
      const app = await createTestApp(s, tenant.id);
      const options = {
        baseUrl: s.url,
        tenantId: tenant.id,
        clientId: app.clientId,
        redirectUri: app.redirectUri,
        username: name,
        password: "a long enough password",
      };
      return { tenant, apiKey, app, options };
    }

    test("an app's time window denies after the right password: the app gets access_denied, no code, 9065 audited", async () => {
      const { apiKey, app, options } = await setUp("tess");
      const put = await s.api("PUT", `/v1/policies/apps/${app.clientId}`, {
        apiKey,
        body: {
          timeOfDay: { timeZone: "UTC", windows: [{ start: "12:00", end: "18:00" }], mode: "enforce" },
        },
        scenario: "sso policies: set",
      });
      assert.equal(put.body.errorCode, 0, JSON.stringify(put.body));
      const { form, browser } = await ssoSignInUntil(options, "password");
      const denied = await browser.follow(form.action, app.redirectUri, {
        method: "POST",
        form: { ...form.hidden, username: "tess", password: "a long enough password" },
      });
      assert.ok("callback" in denied, "the browser goes back to the app");
      assert.equal(denied.callback.searchParams.get("error"), "access_denied");
      assert.equal(denied.callback.searchParams.get("code"), null);
      assert.doesNotMatch(
        denied.callback.search,
        /9065|TimeRestriction|18(%3A|:)00/,
        "the app is told no rule",
      );
      // The refused interaction reloaded: a stale page, not an OTPByPass alert.
      const reloaded = await browser.follow(
        new URL(form.action.href.replace(/\/password$/, "")),
        app.redirectUri,
      );
      assert.ok(!("callback" in reloaded) && reloaded.status === 404);
      assert.equal(
        (
          await auditedWith(
            s,
            apiKey,
            ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
            "sso policies: reload",
          )
        ).length,
        0,
      );
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOPolicyTimeRestriction,
        "sso policies: page denial",
      );
      assert.ok(events.length >= 1, "the denial is in the audit trail");
    });

    test("a policy event written from the pages carries the page request's id", async () => {
      const { apiKey, options } = await setUp("rid");
      await s.api("PUT", "/v1/policies/tenant", {
        apiKey,
        body: { clientAddresses: { ranges: ["203.0.113.0/24"], mode: "log" } },
        scenario: "sso policies: set",
      });
      await ssoSignIn(options);
      const listed = await s.api(
        "GET",
        `/v1/audit?resultCode=${ApiReturnCode.SSOPolicyClientIPInvalidIgnored}&limit=500`,
        { apiKey, scenario: "sso policies: request id" },
      );
      const trail = listed.body.events as {
        operation: string;
        subject: string | null;
        requestId: string | null;
      }[];
      const policyEvent = trail.find(
        (e) => e.operation.startsWith("access policy") && e.subject === "user:rid",
      );
      assert.ok(policyEvent !== undefined, JSON.stringify(trail));
      assert.match(policyEvent.requestId ?? "", /\S/, "the policy event has the request id");
      const pages = await s.api("GET", "/v1/audit?limit=500", {
        apiKey,
        scenario: "sso policies: request id",
      });
      const pageEvent = (pages.body.events as { operation: string; requestId: string | null }[]).find(
        (e) => e.requestId === policyEvent.requestId && e.operation.startsWith("POST /oidc/"),
      );
      assert.ok(pageEvent !== undefined, "the same id as the password post's own event");
    });

    test("a tenant-wide address rule in log mode lets the sign-in through and is audited as 9070", async () => {
      const { apiKey, options } = await setUp("uma");
      const put = await s.api("PUT", "/v1/policies/tenant", {
        apiKey,
        body: { clientAddresses: { ranges: ["203.0.113.0/24"], mode: "log" } },
        scenario: "sso policies: set",
      });
      assert.equal(put.body.errorCode, 0, JSON.stringify(put.body));
      const result = await ssoSignIn(options);
      assert.ok(result.code !== undefined, `a code: ${result.callbackUrl}`);
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOPolicyClientIPInvalidIgnored,
        "sso policies: page logged rule",
      );
      assert.ok(
        events.some((e) => e.operation.includes("clientAddresses log")),
        JSON.stringify(events),
      );
    });

    test("the allowance counts page sign-ins: the second of one allowed is denied (9064)", async () => {
      const { apiKey, app, options } = await setUp("vic");
      await s.api("PUT", `/v1/policies/apps/${app.clientId}`, {
        apiKey,
        body: { dailyAllowance: { maxSignIns: 1, timeZone: "UTC", mode: "enforce" } },
        scenario: "sso policies: set",
      });
      assert.ok((await ssoSignIn(options)).code !== undefined, "the first sign-in of the day");
      const second = await ssoSignIn(options);
      assert.equal(second.code, undefined, "no code for the second");
      assert.equal(second.callbackUrl.searchParams.get("error"), "access_denied");
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOPolicyNoDailyAccessRestriction,
        "sso policies: page allowance",
      );
      assert.ok(events.length >= 1, "the used-up allowance is in the audit trail");
    });
  });
}
