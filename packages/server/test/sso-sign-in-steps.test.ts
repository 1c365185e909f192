import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { decodeBase32, encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { until } from "./helpers/link.ts";
import { oathtoolHotp, oathtoolTotp } from "./helpers/oathtool.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import {
  auditedWith,
  createTestApp,
  formsOf,
  redeem,
  type SsoSignInOptions,
  ssoSignIn,
  ssoSignInUntil,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const secret32 = encodeBase32(Buffer.from(secretHex, "hex"));
const DAY_MS = 86_400_000;

/**
 * The steps of a sign-in through the pages: the second-factor registry (TOTP, HOTP, the app's
 * accepted factors), what happens without a factor (SystemTwoFactorNotSet, self-enrolment by QR
 * code, or none when optional), an expired password, the forgotten-password link, consent.
 */
for (const backend of backends) {
  suite(`SSO sign-in steps (${backend})`, () => {
    let s: TestServer;
    let smtp: SmtpSink;
    let n = 0;
    before(async () => {
      smtp = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(smtp) });
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });

    const setup = async (settings: Parameters<TestServer["tenant"]>[1] = {}) => {
      const made = await s.tenant(undefined, settings);
      return { ...made, tenantId: made.tenant.id };
    };
    const newUser = async (apiKey: string, tokens: readonly ("totp" | "hotp")[] = ["totp"]) => {
      n += 1;
      const username = `person${n}`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse battery", email: `${username}@example.test` },
        scenario: "sso steps: setup",
      });
      for (const type of tokens)
        await s.api("POST", "/v1/authenticators", {
          apiKey,
          body: { type, secret: secret32, username },
          scenario: "sso steps: setup",
        });
      return username;
    };
    const options = (tenantId: string, app: TestApp, username: string): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      ...app,
      username,
      password: "correct horse battery",
      otp: () => oathtoolTotp(secretHex, s.clock.now()),
    });
    const next = () => s.clock.advance(30_000);

    test("HOTP: an app that accepts only hotp asks for the token's code, not the app's", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId, { secondFactors: ["hotp"] });
      const username = await newUser(apiKey, ["totp", "hotp"]);
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      assert.deepEqual(
        formsOf(at.page).map((f) => f.hidden.factor),
        ["hotp"],
      );
      const result = await ssoSignIn({
        ...options(tenantId, app, username),
        otp: () => oathtoolHotp(secretHex, 0),
      });
      assert.ok(result.code);
      assert.deepEqual((await redeem(result)).claims()?.amr, ["pwd", "otp"]);
      // A TOTP code is no answer for an app that takes HOTP only, nor can the form be switched to totp.
      next();
      const again = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const totp = oathtoolTotp(secretHex, s.clock.now());
      const refused = await again.browser.follow(again.form.action, app.redirectUri, {
        method: "POST",
        form: { ...again.form.hidden, otp: totp },
      });
      assert.ok(!("callback" in refused) && refused.status === 401);
      const switched = await again.browser.follow(again.form.action, app.redirectUri, {
        method: "POST",
        form: { ...again.form.hidden, factor: "totp", otp: totp },
      });
      assert.ok(!("callback" in switched) && switched.status === 401);
      assert.ok(
        (
          await auditedWith(
            s,
            apiKey,
            ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
            "sso: factor switched",
          )
        ).length >= 1,
      );
    });

    test("no usable factor where one is required: SystemTwoFactorNotSet, by tenant default and by app", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey, []);
      const at = await ssoSignInUntil(options(tenantId, app, username), "password");
      const refused = await at.browser.follow(at.form.action, app.redirectUri, {
        method: "POST",
        form: { ...at.form.hidden, username, password: "correct horse battery" },
      });
      assert.ok(!("callback" in refused));
      assert.match(refused.html, /no second factor set up/);
      assert.equal(formsOf(refused).length, 0);
      // The page's way back: the app gets access_denied (its request ends, no code).
      const back = /<a href="([^"]+)">Back to Test app<\/a>/.exec(refused.html)?.[1];
      assert.ok(back !== undefined, "a link back to the app");
      const returned = await at.browser.follow(
        new URL(back.replaceAll("&amp;", "&"), refused.url),
        app.redirectUri,
      );
      assert.ok("callback" in returned);
      assert.equal(returned.callback.searchParams.get("error"), "access_denied");
      assert.equal(returned.callback.searchParams.get("code"), null);
      // The tenant makes it optional; an app that requires a factor still refuses.
      const optional = await setup({ ssoSecondFactor: "optional" });
      const strictApp = await createTestApp(s, optional.tenantId, { requireSecondFactor: true });
      const relaxedApp = await createTestApp(s, optional.tenantId);
      const user2 = await newUser(optional.apiKey, []);
      const strict = await ssoSignIn(options(optional.tenantId, strictApp, user2)).catch((e: Error) => e);
      assert.ok(strict instanceof Error && /no form/.test(strict.message));
      const relaxed = await ssoSignIn(options(optional.tenantId, relaxedApp, user2));
      assert.deepEqual(relaxed.steps, ["password"]);
      assert.deepEqual((await redeem(relaxed)).claims()?.amr, ["pwd"]);
      const events = [
        ...(await auditedWith(s, apiKey, ApiReturnCode.SystemTwoFactorNotSet, "sso: no second factor")),
        ...(await auditedWith(
          s,
          optional.apiKey,
          ApiReturnCode.SystemTwoFactorNotSet,
          "sso: no second factor",
        )),
      ];
      assert.equal(events.length, 2);
    });

    test("self-enrolment: a QR code and the secret, a wrong first code refused, the right one activates the token", async () => {
      const { tenantId, apiKey } = await setup();
      const patched = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { ssoSelfEnrolment: true },
        scenario: "sso: enable self-enrolment",
      });
      assert.equal(patched.body.errorCode, 0);
      assert.equal((patched.body.tenant as { ssoSelfEnrolment: boolean }).ssoSelfEnrolment, true);
      assert.equal((patched.body.tenant as { ssoSecondFactor: string }).ssoSecondFactor, "required");
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey, []);
      const at = await ssoSignInUntil(options(tenantId, app, username), "enrol");
      assert.match(at.page.html, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
      const secret = /<code>([A-Z2-7]+)<\/code>/.exec(at.page.html)?.[1] ?? "";
      const hex = Buffer.from(decodeBase32(secret) ?? []).toString("hex");
      const right = oathtoolTotp(hex, s.clock.now());
      const wrong = await at.browser.follow(at.form.action, app.redirectUri, {
        method: "POST",
        form: { ...at.form.hidden, otp: right === "000000" ? "000001" : "000000" },
      });
      assert.ok(!("callback" in wrong) && wrong.status === 401 && /code was not accepted/.test(wrong.html));
      assert.equal(
        (
          await auditedWith(
            s,
            apiKey,
            ApiReturnCode.PartnerUserLoginFailedInvalidOTP,
            "sso: enrolment wrong code",
          )
        ).length,
        1,
      );
      const done = await at.browser.follow(at.form.action, app.redirectUri, {
        method: "POST",
        form: { ...at.form.hidden, otp: right },
      });
      assert.ok("callback" in done && done.callback.searchParams.get("code"));
      const list = await s.api("GET", `/v1/users/${username}/authenticators`, {
        apiKey,
        scenario: "sso: enrolled token",
      });
      const tokens = list.body.authenticators as { activated: boolean; type: string }[] | undefined;
      assert.deepEqual(
        tokens?.map((t) => [t.type, t.activated]),
        [["totp", true]],
      );
      // From now on the new token is the user's second factor.
      next();
      const again = await ssoSignIn({
        ...options(tenantId, app, username),
        otp: () => oathtoolTotp(hex, s.clock.now()),
      });
      assert.deepEqual(again.steps, ["password", "factor"]);
    });

    test("an expired password: changed on the page, then the sign-in goes on to the factor", async () => {
      const { tenantId, apiKey } = await setup({ passwordMaxAgeDays: 1 });
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey);
      s.clock.advance(2 * DAY_MS);
      // The change-password page refuses two different entries, a short one and the old one again.
      const at = await ssoSignInUntil(options(tenantId, app, username), "change-password");
      for (const [password, confirm, text] of [
        ["a brand new passphrase", "a brand new passphrasf", /not the same/],
        ["short", "short", /cannot be used/],
        ["correct horse battery", "correct horse battery", /cannot be used/],
      ] as const) {
        const refused = await at.browser.follow(at.form.action, app.redirectUri, {
          method: "POST",
          form: { ...at.form.hidden, password, confirm },
        });
        assert.ok(!("callback" in refused) && refused.status === 400, password);
        assert.match(refused.html, text);
      }
      const result = await ssoSignIn({
        ...options(tenantId, app, username),
        newPassword: "a brand new passphrase",
      });
      assert.deepEqual(result.steps, ["password", "change-password", "factor"]);
      assert.ok(result.code);
      next();
      const withNew = await ssoSignIn({
        ...options(tenantId, app, username),
        password: "a brand new passphrase",
      });
      assert.deepEqual(withNew.steps, ["password", "factor"]);
      assert.equal(
        (
          await auditedWith(
            s,
            apiKey,
            ApiReturnCode.PartnerUserChangedPassword,
            "sso: expired password changed",
          )
        ).length,
        0,
        "the change is audited as the step's own request (Success), the mail aside",
      );
    });

    test("forgot password: the same answer for any username, and the recovery e-mail for a real one", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey);
      const at = await ssoSignInUntil(options(tenantId, app, username), "password");
      const forgot = await at.browser.follow(
        new URL(`${at.form.action.href.replace(/\/password$/, "")}/forgot`),
        app.redirectUri,
      );
      assert.ok(!("callback" in forgot));
      const [form] = formsOf(forgot);
      assert.ok(form !== undefined && form.step === "forgot");
      const answers: string[] = [];
      for (const name of [username, "nobody-here"]) {
        const answer = await at.browser.follow(form.action, app.redirectUri, {
          method: "POST",
          form: { ...form.hidden, username: name },
        });
        assert.ok(!("callback" in answer) && answer.status === 200);
        answers.push(answer.html);
      }
      assert.equal(answers[0], answers[1]);
      await until(() => smtp.to(`${username}@example.test`).length === 1, "the recovery e-mail arrives");
      assert.match(smtp.to(`${username}@example.test`)[0]?.raw ?? "", /password-recovery/);
    });

    test("consent: a third-party app shows its name and scopes; deny sends access_denied, allow a code", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId, { firstParty: false, name: "Partner portal" });
      const username = await newUser(apiKey);
      const at = await ssoSignInUntil(
        { ...options(tenantId, app, username), scope: "openid email" },
        "consent",
      );
      assert.match(at.page.html, /Partner portal/);
      assert.match(at.page.html, /Your e-mail address/);
      next();
      const denied = await ssoSignIn({ ...options(tenantId, app, username), consent: "deny" });
      assert.equal(denied.code, undefined);
      assert.equal(denied.callbackUrl.searchParams.get("error"), "access_denied");
      next();
      const allowed = await ssoSignIn({ ...options(tenantId, app, username), scope: "openid email" });
      assert.deepEqual(allowed.steps, ["password", "factor", "consent"]);
      const tokens = await redeem(allowed);
      assert.equal(tokens.scope?.split(" ").sort().join(" "), "email openid");
    });

    test("pages speak the language of ui_locales, then Accept-Language", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey);
      const de = await ssoSignInUntil(
        { ...options(tenantId, app, username), uiLocales: "de-CH en" },
        "password",
      );
      assert.match(de.page.html, /Benutzername/);
      const es = await ssoSignInUntil({ ...options(tenantId, app, username), uiLocales: "es" }, "password");
      assert.match(es.page.html, /Nombre de usuario/);
    });

    test("extreme form input: a huge field is a 400 naming it, never a 5xx", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey);
      const at = await ssoSignInUntil(options(tenantId, app, username), "password");
      for (const [field, value] of [
        ["username", "x".repeat(10_000)],
        ["password", "x".repeat(2000)],
        ["otp", "9".repeat(300)],
        ["unexpected", "1"],
      ] as const) {
        const response = await at.browser.request(at.form.action, {
          method: "POST",
          form: { ...at.form.hidden, username, password: "x", [field]: value },
          headers: { accept: "application/json" },
        });
        const body = (await response.json()) as { errorCode: number; errorMessage: string };
        assert.equal(response.status, 400, field);
        assert.equal(body.errorCode, TesseraApiCode.MalformedRequest);
        assert.match(body.errorMessage, new RegExp(field), field);
      }
    });

    test("tessera tenant set --sso-second-factor / --sso-self-enrolment change what the pages ask", async () => {
      const { tenant, tenantId, apiKey } = await setup();
      const { dataDir, databaseUrl } = s.server.ctx.config;
      const data = [
        "--data-dir",
        dataDir,
        ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
      ];
      const env = { TESSERA_LOG_LEVEL: "silent" };
      const set = await runCli(
        [
          ...data,
          "tenant",
          "set",
          tenant.name,
          "--sso-second-factor",
          "optional",
          "--sso-self-enrolment",
          "on",
        ],
        { env, scenario: "cli: tenant set sso" },
      );
      assert.equal(set.status, 0, set.stderr);
      assert.match(set.stdout, /^ {2}SSO second factor: optional; self-enrolment: on$/m);
      for (const bad of [
        ["--sso-second-factor", "sometimes"],
        ["--sso-self-enrolment", "yes"],
      ]) {
        const refused = await runCli([...data, "tenant", "set", tenant.name, ...bad], {
          env,
          scenario: "cli: tenant set sso bad",
        });
        assert.equal(refused.status, 1, bad.join(" "));
        assert.match(refused.stderr, /MalformedRequest \(9900\): --sso-/);
      }
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey, []);
      const optional = await ssoSignIn(options(tenantId, app, username));
      assert.deepEqual(optional.steps, ["password"]);
      // An API PATCH with a value outside the two is refused naming the field.
      const bad = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { ssoSecondFactor: "never" },
        scenario: "sso: tenant setting refused",
      });
      assert.equal(bad.status, 400);
      assert.match(String(bad.body.errorMessage), /ssoSecondFactor/);
    });

    test("a TOTP code used for one sign-in is refused for the next (OTPAlreadyUsed audited)", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey);
      const code = oathtoolTotp(secretHex, s.clock.now());
      await ssoSignIn({ ...options(tenantId, app, username), otp: () => code });
      const replayed = await ssoSignIn({ ...options(tenantId, app, username), otp: () => code }).catch(
        (e: Error) => e,
      );
      assert.ok(replayed instanceof Error && /step factor was refused \(401\)/.test(replayed.message));
      assert.equal(
        (await auditedWith(s, apiKey, ApiReturnCode.OTPAlreadyUsed, "sso: code replayed")).length,
        1,
      );
    });

    test("a session signed in with the password alone does not let the browser into an app that now requires a factor", async () => {
      const { tenantId, apiKey } = await setup({ ssoSecondFactor: "optional" });
      const app = await createTestApp(s, tenantId);
      const username = await newUser(apiKey, []);
      const first = await ssoSignIn(options(tenantId, app, username));
      assert.deepEqual(first.steps, ["password"]);
      // The same browser again: the provider's session and grant let it straight through.
      const again = await ssoSignIn({ ...options(tenantId, app, username), browser: first.browser });
      assert.deepEqual(again.steps, []);
      await s.server.ctx.database.db
        .updateTable("sso_apps")
        .set({ require_second_factor: 1 })
        .where("client_id", "=", app.clientId)
        .execute();
      // Now the session's amr (pwd) is not enough: the pages ask again, and the user has no factor.
      const refused = await ssoSignIn({ ...options(tenantId, app, username), browser: first.browser }).catch(
        (e: Error) => e,
      );
      assert.ok(refused instanceof Error && /no form/.test(refused.message), String(refused));
    });
  });
}
