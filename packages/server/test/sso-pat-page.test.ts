import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { PAT_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { signInToAccount } from "./helpers/pat-account-session.ts";
import { insertTestApp, rpFor } from "./helpers/pat-test-app.ts";
import { Browser } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The self-service page of personal access tokens: signed-out visitors are sent to sign in
 * through the account client; a signed-in user lists, creates (shown once, and working at the
 * token endpoint) and revokes their own tokens with CSRF-protected forms, in their language.
 * Codes of page requests are read back from the audit trail.
 */
const scenario = "sso: personal access tokens page";
const tokenPattern = /tpat_[A-Za-z0-9_-]{43}/;
const secretHex = "3132333435363738393031323334353637383930";
const password = "correct horse battery";

for (const backend of backends) {
  suite(`personal access tokens page (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    /** A tenant (production defaults: a second factor is required) with alice and bob, each with a TOTP token. */
    async function setup() {
      const { tenant, apiKey } = await s.tenant();
      const ids: Record<string, string> = {};
      for (const username of ["alice", "bob"]) {
        const r = await s.api("POST", "/v1/users", { apiKey, scenario, body: { username, password } });
        ids[username] = (r.body.user as { id: string }).id;
        await s.api("POST", "/v1/authenticators", {
          apiKey,
          scenario,
          body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
        });
      }
      const app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now());
      await insertTestApp(s.server.ctx, tenant.id, s.clock.now(), { grantTypes: ["client_credentials"] });
      const signIn = (username: string) => {
        // Each sign-in needs a fresh time step: a TOTP code is good once.
        s.clock.advance(30_000);
        const otp = () => oathtoolTotp(secretHex, s.clock.now());
        return signInToAccount(s, tenant.id, { username, password, otp });
      };
      const browser = await signIn("alice");
      const pageUrl = `${s.url}/oidc/${tenant.id}/account/tokens`;
      const open = async (language = "en", as = browser) => {
        const r = await as.request(new URL(pageUrl), { headers: { "accept-language": language } });
        return { status: r.status, headers: r.headers, text: await r.text() };
      };
      const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
      const post = async (url: string, form: Record<string, string>, as = browser, headers = {}) => {
        const r = await as.request(new URL(url), { method: "POST", form, headers });
        return { status: r.status, headers: r.headers, text: await r.text() };
      };
      /** The codes the audit trail recorded for `operation`, each recorded as observed. */
      const codesOf = async (operation: string) => {
        const r = await s.api("GET", `/v1/audit?operation=${encodeURIComponent(operation)}`, {
          apiKey,
          scenario,
        });
        const codes = (r.body.events as { resultCode: number }[]).map((e) => e.resultCode);
        for (const code of codes) recordObservedCode("api", code, scenario);
        return codes;
      };
      return { tenant, apiKey, ids, app, signIn, pageUrl, open, csrfOf, post, codesOf };
    }

    test("a signed-out visitor is sent to the sign-in pages through the account client", async () => {
      const { tenant } = await s.tenant();
      const browser = new Browser();
      const page = await browser.request(new URL(`${s.url}/oidc/${tenant.id}/account/tokens`));
      assert.equal(page.status, 303);
      const location = new URL(page.headers.get("location") as string);
      assert.equal(location.pathname, `/oidc/${tenant.id}/auth`);
      assert.equal(location.searchParams.get("client_id"), "tessera-account");
      const landing = await browser.follow(location, `${s.url}/oidc/${tenant.id}/account/signed-in`);
      assert.ok(!("callback" in landing));
      assert.match(landing.url.pathname, /\/interaction\//);
      assert.match(landing.html, /name="password"/, "the sign-in pages' password form");
      const posted = await browser.request(new URL(`${s.url}/oidc/${tenant.id}/account/tokens`), {
        method: "POST",
        form: { csrf: "x", clientId: "y", name: "z", expiresInDays: "1" },
      });
      assert.equal(posted.status, 303, "a signed-out post creates nothing and goes to sign in");
    });

    test("signed in: list, create (shown once, exchangeable), revoke, with strict headers", async () => {
      const { tenant, apiKey, app, pageUrl, open, csrfOf, post, codesOf } = await setup();
      const empty = await open();
      assert.equal(empty.status, 200, empty.text);
      assert.match(empty.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      assert.equal(empty.headers.get("cache-control"), "no-store");
      assert.equal(empty.headers.get("x-frame-options"), "DENY");
      assert.match(empty.text, /You have no personal access tokens/);
      assert.equal((empty.text.match(/<option /g) ?? []).length, 1, "only apps that take PATs are offered");

      const created = await post(pageUrl, {
        csrf: csrfOf(empty.text),
        clientId: app.clientId,
        name: "deploy script",
        expiresInDays: "7",
      });
      assert.equal(created.status, 201, created.text);
      const token = tokenPattern.exec(created.text)?.[0] as string;
      assert.ok(token !== undefined, "the new token is on the page");
      const tokens = await oidc.genericGrantRequest(await rpFor(s.url, tenant.id, app), PAT_GRANT_TYPE, {
        personal_access_token: token,
      });
      assert.ok(tokens.access_token.length > 0);

      const again = await open();
      assert.doesNotMatch(again.text, tokenPattern, "shown once only");
      assert.match(again.text, /deploy script/);
      assert.match(
        again.text,
        /<tr><td>deploy script<\/td><td>Command-line tool<\/td>/,
        "the App column names the app",
      );
      const listed = await s.api("GET", "/v1/users/alice/personal-access-tokens", { apiKey, scenario });
      const [pat] = listed.body.personalAccessTokens as { id: string; state: string }[];
      assert.ok(pat !== undefined);

      const revoked = await post(`${pageUrl}/${pat.id}/revoke`, { csrf: csrfOf(again.text) });
      assert.equal(revoked.status, 303, revoked.text);
      const after = await s.api("GET", "/v1/users/alice/personal-access-tokens", { apiKey, scenario });
      assert.equal((after.body.personalAccessTokens as { state: string }[])[0]?.state, "revoked");

      // Bob's token, by id, from Alice's session: NotFound, nothing revoked.
      const bobs = await s.api("POST", "/v1/users/bob/personal-access-tokens", {
        apiKey,
        scenario,
        body: { clientId: app.clientId, name: "bob's", expiresInDays: 1 },
      });
      const bobId = (bobs.body.personalAccessToken as { id: string }).id;
      const foreign = await post(`${pageUrl}/${bobId}/revoke`, { csrf: csrfOf(again.text) });
      assert.equal(foreign.status, 404);
      const bobList = await s.api("GET", "/v1/users/bob/personal-access-tokens", { apiKey, scenario });
      assert.equal((bobList.body.personalAccessTokens as { state: string }[])[0]?.state, "live");
      assert.ok(
        (await codesOf("POST /oidc/:tenant/account/tokens/:id/revoke")).includes(TesseraApiCode.NotFound),
      );
    });

    test("posts without this session's form token are refused and create nothing", async () => {
      const { app, signIn, pageUrl, open, csrfOf, post, codesOf, apiKey } = await setup();
      const bob = await signIn("bob");
      const bobsCsrf = csrfOf((await open("en", bob)).text);
      const form = { clientId: app.clientId, name: "forged", expiresInDays: "7" };
      for (const csrf of [undefined, "", "x".repeat(43), bobsCsrf]) {
        const r = await post(pageUrl, csrf === undefined ? form : { ...form, csrf });
        assert.equal(r.status, 400, r.text);
        assert.doesNotMatch(r.text, tokenPattern);
      }
      // The right token, but the browser says the post came from another site.
      const own = csrfOf((await open()).text);
      for (const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }]) {
        const r = await post(pageUrl, { ...form, csrf: own }, undefined, headers);
        assert.equal(r.status, 400, r.text);
      }
      const listed = await s.api("GET", "/v1/users/alice/personal-access-tokens", { apiKey, scenario });
      assert.deepEqual(listed.body.personalAccessTokens, []);
      assert.ok(
        (await codesOf("POST /oidc/:tenant/account/tokens")).includes(TesseraApiCode.MalformedRequest),
      );
    });

    test("wrong inputs and the cap re-show the form with a sentence in the visitor's language", async () => {
      const { apiKey, app, pageUrl, open, csrfOf, post, codesOf } = await setup();
      const de = await open("de-CH, en;q=0.5");
      assert.match(de.text, /Persönliche Zugriffstoken/);
      assert.match((await open("es")).text, /Tokens de acceso personal/);
      const csrf = csrfOf(de.text);
      const cases = [
        [{ name: "", expiresInDays: "7" }, /Give the token a name/],
        [{ name: "x", expiresInDays: "9999" }, /from 1 to 365/],
        [{ name: "x", expiresInDays: "1.5" }, /from 1 to 365/],
        [{ name: "x", expiresInDays: "9007199254740993" }, /from 1 to 365/],
      ] as const;
      for (const [fields, sentence] of cases) {
        const r = await post(pageUrl, { csrf, clientId: app.clientId, ...fields });
        assert.equal(r.status, 400, r.text);
        assert.match(r.text, sentence);
      }
      const elsewhere = await post(pageUrl, { csrf, clientId: "not-an-app", name: "x", expiresInDays: "1" });
      assert.equal(elsewhere.status, 404);
      assert.match(elsewhere.text, /Choose an app from the list/);
      for (let i = 0; i < s.server.ctx.config.personalAccessTokens.maxPerUser; i += 1)
        await s.api("POST", "/v1/users/alice/personal-access-tokens", {
          apiKey,
          scenario,
          body: { clientId: app.clientId, name: `n${i}`, expiresInDays: 1 },
        });
      const full = await post(pageUrl, {
        csrf,
        clientId: app.clientId,
        name: "one more",
        expiresInDays: "1",
      });
      assert.equal(full.status, 409);
      assert.match(full.text, /Revoke one first/);
      const codes = await codesOf("POST /oidc/:tenant/account/tokens");
      assert.ok(codes.includes(TesseraApiCode.PersonalAccessTokenLimitReached));
    });

    test("a user who can no longer sign in is sent to sign in again; a failed sign-in is a page", async () => {
      const { tenant, apiKey, open, codesOf } = await setup();
      await s.api("PATCH", "/v1/users/alice", { apiKey, scenario, body: { disabled: true } });
      assert.equal((await open()).status, 303);
      const failed = await fetch(`${s.url}/oidc/${tenant.id}/account/signed-in?error=access_denied`);
      assert.equal(failed.status, 401);
      assert.match(await failed.text(), /did not complete/);
      assert.ok(
        (await codesOf("GET /oidc/:tenant/account/signed-in")).includes(ApiReturnCode.PartnerUserLoginFailed),
      );
    });
  });
}
