import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { SIGN_IN_KEPT_MS } from "../src/housekeeping/sweep-sso-sign-ins.ts";
import { ssoLifetimes } from "../src/sso/provider/provider-configuration.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import {
  auditedWith,
  Browser,
  createTestApp,
  type Page,
  type SsoSignInOptions,
  ssoSignIn,
  ssoSignInUntil,
  startSsoSignIn,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const BYPASS = ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass;

/**
 * Every crafted path that would reach consent or a code without the second factor, tried with
 * hand-made HTTP requests: each is refused with the generic page, nothing moves, no code is
 * issued, and the audit trail has PartnerUserLoginAttepmtedOTPByPass.
 */
for (const backend of backends) {
  suite(`SSO sign-in: second-factor bypass attempts (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    let firstParty: TestApp;
    let thirdParty: TestApp;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
      const made = await s.tenant();
      apiKey = made.apiKey;
      tenantId = made.tenant.id;
      firstParty = await createTestApp(s, tenantId);
      thirdParty = await createTestApp(s, tenantId, { firstParty: false, name: "Partner portal" });
    });
    after(() => s.close());

    /** A new user with a password and an activated TOTP token. */
    const newUser = async () => {
      n += 1;
      const username = `user${n}`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse battery" },
        scenario: "sso bypass: setup",
      });
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
        scenario: "sso bypass: setup",
      });
      return username;
    };
    const options = (username: string, app: TestApp = firstParty): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      ...app,
      username,
      password: "correct horse battery",
      otp: () => oathtoolTotp(secretHex, s.clock.now()),
    });
    const post = (browser: Browser, url: URL, form: Record<string, string>) =>
      browser.follow(url, firstParty.redirectUri, { method: "POST", form });
    const bypassCount = async () => (await auditedWith(s, apiKey, BYPASS, "sso bypass: audit")).length;

    /** The attempt is refused with the generic page, adds one 9051 event, and shows no code. */
    const assertRefused = async (attempt: () => Promise<Page | { callback: URL }>, what: string) => {
      const before = await bypassCount();
      const answer = await attempt();
      assert.ok(!("callback" in answer), `${what}: reached the app`);
      assert.equal(answer.status, 401, `${what}: ${answer.html.slice(0, 300)}`);
      assert.match(answer.html, /no longer valid/, what);
      assert.equal(await bypassCount(), before + 1, `${what}: audited as OTPByPass`);
    };

    test("posting to a later step (factor, consent) from the password page is refused", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username, thirdParty), "password");
      const base = at.form.action.href.replace(/\/password$/, "");
      const csrf = at.form.hidden.csrf ?? "";
      await assertRefused(
        () => post(at.browser, new URL(`${base}/factor`), { csrf, factor: "totp", otp: "123456" }),
        "factor before password",
      );
      await assertRefused(
        () => post(at.browser, new URL(`${base}/consent`), { csrf, decision: "allow" }),
        "consent before password",
      );
      await assertRefused(() => post(at.browser, new URL(`${base}/done`), { csrf }), "an unknown step");
      // Nothing moved: the password page is still what the sign-in shows, and it still works.
      const page = await at.browser.follow(new URL(base), thirdParty.redirectUri);
      assert.ok(!("callback" in page) && page.html.includes(`${new URL(base).pathname}/password`));
    });

    test("skipping the factor: consent posted after the password, and the provider's resume URL, give no code", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username, thirdParty), "factor");
      const base = at.form.action.href.replace(/\/factor$/, "");
      const csrf = at.form.hidden.csrf ?? "";
      await assertRefused(
        () => post(at.browser, new URL(`${base}/consent`), { csrf, decision: "allow" }),
        "consent without the factor",
      );
      // The provider's own resume endpoint without a result sends the browser back to the pages.
      const uid = base.split("/").pop() ?? "";
      const resumed = await at.browser.follow(
        new URL(`/oidc/${tenantId}/auth/${uid}`, s.url),
        thirdParty.redirectUri,
      );
      assert.ok(!("callback" in resumed) || resumed.callback.searchParams.get("code") === null);
    });

    test("reordering: the password posted again while the factor is due is refused", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username), "factor");
      const base = at.form.action.href.replace(/\/factor$/, "");
      await assertRefused(
        () =>
          post(at.browser, new URL(`${base}/password`), {
            csrf: at.form.hidden.csrf ?? "",
            username,
            password: "correct horse battery",
          }),
        "password again",
      );
    });

    test("a finished interaction replayed (factor, password) is refused; its page is stale, not a bypass", async () => {
      const username = await newUser();
      const browser = new Browser();
      const at = await ssoSignInUntil({ ...options(username), browser }, "factor");
      const jar = browser.jar.clone();
      const base = at.form.action.href.replace(/\/factor$/, "");
      const csrf = at.form.hidden.csrf ?? "";
      const code = oathtoolTotp(secretHex, s.clock.now());
      const done = await post(browser, at.form.action, { csrf, factor: "totp", otp: code });
      assert.ok("callback" in done && done.callback.searchParams.get("code"));
      s.clock.advance(30_000);
      // The cookies as they were before the finish, as an attacker who copied them would have them.
      browser.jar = jar;
      const next = oathtoolTotp(secretHex, s.clock.now());
      await assertRefused(
        () => post(browser, at.form.action, { csrf, factor: "totp", otp: next }),
        "factor replayed",
      );
      await assertRefused(
        () =>
          post(browser, new URL(`${base}/password`), { csrf, username, password: "correct horse battery" }),
        "password replayed",
      );
      // A reload (GET) of the finished sign-in asks for nothing: a stale page audited with a
      // neutral code, so a person reloading raises no security alert.
      const bypasses = await bypassCount();
      const stales = (await auditedWith(s, apiKey, TesseraApiCode.NotFound, "sso: stale page")).length;
      const reloaded = await browser.follow(new URL(base), firstParty.redirectUri);
      assert.ok(!("callback" in reloaded));
      assert.equal(reloaded.status, 404);
      assert.match(reloaded.html, /no longer valid/);
      assert.equal(await bypassCount(), bypasses, "a reload is not audited as OTPByPass");
      const after = await auditedWith(s, apiKey, TesseraApiCode.NotFound, "sso: stale page");
      assert.equal(after.length, stales + 1);
      assert.ok(after.some((e) => e.operation.startsWith("GET /oidc/")));
    });

    test("a stale interaction (past its lifetime) is refused", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username), "password");
      s.clock.advance(ssoLifetimes.Interaction * 1000 + 1000);
      await assertRefused(
        () =>
          post(at.browser, at.form.action, {
            csrf: at.form.hidden.csrf ?? "",
            username,
            password: "correct horse battery",
          }),
        "stale interaction",
      );
    });

    test("another user's interaction, and a post to an interaction never shown, are refused", async () => {
      const victim = await newUser();
      const attacker = await newUser();
      const victimAt = await ssoSignInUntil(options(victim), "factor");
      // The attacker has a sign-in of their own (their own interaction cookie) and posts to the victim's.
      const mine = await ssoSignInUntil(options(attacker), "factor");
      const code = oathtoolTotp(secretHex, s.clock.now());
      await assertRefused(
        () =>
          post(mine.browser, victimAt.form.action, {
            csrf: victimAt.form.hidden.csrf ?? "",
            factor: "totp",
            otp: code,
          }),
        "another user's interaction",
      );
      await assertRefused(
        () =>
          post(new Browser(), victimAt.form.action, {
            csrf: victimAt.form.hidden.csrf ?? "",
            factor: "totp",
            otp: code,
          }),
        "no interaction cookie",
      );
      // An authorization request whose page was never requested: the first post is crafted.
      const started = await startSsoSignIn(options(attacker));
      assert.ok(!("callback" in started.landing));
      const uid = started.landing.url.pathname.split("/").pop() ?? "";
      await s.server.ctx.database.db
        .deleteFrom("sso_sign_ins")
        .where("tenant_id", "=", tenantId)
        .where("step", "=", "password")
        .execute();
      await assertRefused(
        () =>
          post(started.browser, new URL(`/oidc/${tenantId}/interaction/${uid}/password`, s.url), {
            csrf: "x",
            username: attacker,
            password: "correct horse battery",
          }),
        "a post before the page",
      );
    });

    test("an interaction of another tenant is refused", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username), "factor");
      const other = await s.tenant();
      const uid = at.form.action.pathname.split("/").at(-2) ?? "";
      const crafted = new URL(`/oidc/${other.tenant.id}/interaction/${uid}/factor`, s.url);
      // The browser would not send the first tenant's path-scoped cookies here; a crafted request does.
      const cookie = at.browser.jar.header(at.form.action);
      const browser = new Browser({ cookie });
      const before = (await auditedWith(s, other.apiKey, BYPASS, "sso bypass: audit")).length;
      const answer = await browser.follow(crafted, firstParty.redirectUri, {
        method: "POST",
        form: {
          csrf: at.form.hidden.csrf ?? "",
          factor: "totp",
          otp: oathtoolTotp(secretHex, s.clock.now()),
        },
      });
      assert.ok(!("callback" in answer));
      assert.equal(answer.status, 401);
      assert.equal((await auditedWith(s, other.apiKey, BYPASS, "sso bypass: audit")).length, before + 1);
    });

    test("a wrong code stays on the factor step as PartnerUserLoginFailedInvalidOTP; a right one then finishes", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username), "factor");
      const csrf = at.form.hidden.csrf ?? "";
      const right = oathtoolTotp(secretHex, s.clock.now());
      const wrong = right === "000000" ? "000001" : "000000";
      const before = (
        await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginFailedInvalidOTP, "sso: wrong code")
      ).length;
      const answer = await post(at.browser, at.form.action, { csrf, factor: "totp", otp: wrong });
      assert.ok(!("callback" in answer));
      assert.equal(answer.status, 401);
      assert.match(answer.html, /code was not accepted/);
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.PartnerUserLoginFailedInvalidOTP,
        "sso: wrong code",
      );
      assert.equal(events.length, before + 1);
      assert.equal(events[0]?.subject, `user:${username}`);
      const done = await post(at.browser, at.form.action, { csrf, factor: "totp", otp: right });
      assert.ok("callback" in done && done.callback.searchParams.get("code"));
    });

    test("CSRF: a wrong form token, a foreign Origin or a cross-site Sec-Fetch-Site is refused and moves nothing", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username), "password");
      const fields = { username, password: "correct horse battery" };
      const tries: [string, Record<string, string>, Record<string, string>][] = [
        ["wrong token", { ...fields, csrf: "AAAA" }, {}],
        [
          "another interaction's token",
          { ...fields, csrf: (await ssoSignInUntil(options(username), "password")).form.hidden.csrf ?? "" },
          {},
        ],
        [
          "foreign origin",
          { ...fields, csrf: at.form.hidden.csrf ?? "" },
          { origin: "https://evil.example" },
        ],
        [
          "cross-site fetch",
          { ...fields, csrf: at.form.hidden.csrf ?? "" },
          { "sec-fetch-site": "cross-site" },
        ],
      ];
      for (const [what, form, headers] of tries) {
        const answer = await at.browser.follow(at.form.action, firstParty.redirectUri, {
          method: "POST",
          form,
          headers,
        });
        assert.ok(!("callback" in answer), what);
        assert.equal(answer.status, 400, what);
      }
      const refused = await auditedWith(s, apiKey, TesseraApiCode.MalformedRequest, "sso: csrf refused");
      assert.ok(refused.filter((e) => e.operation.startsWith("POST /oidc/")).length >= tries.length);
      // The genuine post still works: nothing above moved the sign-in.
      const ok = await at.browser.follow(at.form.action, firstParty.redirectUri, {
        method: "POST",
        form: { ...fields, csrf: at.form.hidden.csrf ?? "" },
      });
      assert.ok(!("callback" in ok) && ok.html.includes("/factor"));
    });

    test("the whole sign-in still works for a third-party app (consent) after all of the above", async () => {
      const username = await newUser();
      const result = await ssoSignIn(options(username, thirdParty));
      assert.deepEqual(result.steps, ["password", "factor", "consent"]);
      assert.ok(result.code);
    });

    test("housekeeping deletes sign-in rows an hour after their interaction expired, not before", async () => {
      const username = await newUser();
      await ssoSignInUntil(options(username), "factor");
      const { db } = s.server.ctx.database;
      const count = async () =>
        Number(
          (
            await db
              .selectFrom("sso_sign_ins")
              .select((eb) => eb.fn.countAll().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const total = await count();
      assert.ok(total > 0);
      const latest = Number(
        (
          await db
            .selectFrom("sso_sign_ins")
            .select((eb) => eb.fn.max("expires_at").as("at"))
            .executeTakeFirstOrThrow()
        ).at,
      );
      const early = await runHousekeepingRound(s.server.ctx, latest + SIGN_IN_KEPT_MS - 1);
      assert.equal(await count(), total - (early.deleted.sso_sign_ins ?? 0));
      assert.ok((await count()) >= 1, "the newest row is kept until an hour after it expired");
      const late = await runHousekeepingRound(s.server.ctx, latest + SIGN_IN_KEPT_MS);
      assert.ok((late.deleted.sso_sign_ins ?? 0) >= 1);
      assert.equal(await count(), 0);
    });
  });
}
