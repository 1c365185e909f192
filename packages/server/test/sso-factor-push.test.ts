import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { approvalPayload, type Decision } from "../src/approvals/approval-payload.ts";
import { finishApprovalRequest } from "../src/approvals/approval-store.ts";
import { insertSealedAuthenticator } from "../src/authenticators/authenticator-secret.ts";
import {
  auditedWith,
  type Browser,
  createTestApp,
  formsOf,
  type Page,
  type PageForm,
  redeem,
  type SsoSignInOptions,
  ssoSignInUntil,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The push factor on the SSO sign-in pages (sso/interactions/factors/push.ts): the request is made
 * by a POST, the page shows the number to match, "continue" (or the page's script) re-checks,
 * approved signs in, rejected or expired says so and offers a new push, and a push this sign-in
 * did not send is refused as a bypass. The phone's answer is a real Ed25519 signature over
 * approvalPayload() by the device's key, recorded by the approval store's compare-and-set.
 */
for (const backend of backends) {
  suite(`SSO push factor (${backend})`, () => {
    let s: TestServer;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    /**
     * A user with an enrolled push device: the row the app enrolment makes (type push, the
     * public key sealed in secret_enc as push/device-material.ts reads it, activated).
     */
    const setup = async (settings: Parameters<TestServer["tenant"]>[1] = {}) => {
      const { tenant, apiKey } = await s.tenant(undefined, settings);
      n += 1;
      const username = `push${n}`;
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse battery" },
        scenario: "sso push: setup",
      });
      const userId = (created.body.user as { id: string }).id;
      const { publicKey, privateKey } = generateKeyPairSync("ed25519");
      const material = { publicKey: publicKey.export({ format: "der", type: "spki" }).toString("base64url") };
      const device = await insertSealedAuthenticator(
        s.server.ctx,
        {
          tenant_id: tenant.id,
          serial: `PUSH${n}${backend}`,
          type: "push",
          user_id: userId,
          activated: 1,
          algorithm: "ed25519",
          digits: 6,
          period: null,
          position: 0,
        },
        Buffer.from(JSON.stringify(material), "utf8"),
        s.clock.now(),
      );
      assert.ok(device);
      const app = await createTestApp(s, tenant.id, { secondFactors: ["push"] });
      return { tenantId: tenant.id, apiKey, username, userId, app, privateKey };
    };
    const options = (tenantId: string, app: TestApp, username: string): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      ...app,
      username,
      password: "correct horse battery",
    });
    const post = (browser: Browser, form: PageForm, app: TestApp, fields: Record<string, string> = {}) =>
      browser.follow(form.action, app.redirectUri, { method: "POST", form: { ...form.hidden, ...fields } });
    const asPage = (at: Page | { callback: URL }): Page => {
      assert.ok(!("callback" in at), "the sign-in ended where a page was expected");
      return at;
    };
    const continueForm = (page: Page) => formsOf(page).find((f) => f.hidden.push !== undefined);
    const requests = (userId: string) =>
      s.server.ctx.database.db
        .selectFrom("approval_requests")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("created_at")
        .execute();

    /** The phone answers: the device key signs approvalPayload for the request and the number. */
    async function answer(userId: string, key: KeyObject, decision: Decision, number?: number) {
      const [row] = (await requests(userId)).filter((r) => r.status === "pending");
      assert.ok(row, "a pending request");
      const payload = approvalPayload({
        reference: row.reference,
        kind: "sign-in",
        decision,
        number: number ?? row.number_to_match,
        details: null,
      });
      const approvalCode = sign(null, payload, key).toString("base64url");
      const done = await finishApprovalRequest(
        s.server.ctx.database.db,
        row.id,
        { status: decision, approvalCode, fraud: false },
        s.clock.now(),
      );
      assert.ok(done);
      return row;
    }

    test("a POST sends the push, the page shows the number; pending waits, approved signs in (amr swk user)", async () => {
      const { tenantId, username, userId, app, privateKey } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      assert.equal(at.form.hidden.factor, "push");
      // Showing the choice page (and showing it again) sends nothing: only the POST does.
      await at.browser.follow(at.page.url, app.redirectUri);
      assert.equal((await requests(userId)).length, 0);
      const waiting = asPage(await post(at.browser, at.form, app));
      assert.equal(waiting.status, 200);
      const [row] = await requests(userId);
      assert.ok(row?.number_to_match);
      const number = /<p id="number-to-match"[^>]*>(\d+)<\/p>/.exec(waiting.html)?.[1];
      assert.equal(Number(number), row.number_to_match);
      const form = continueForm(waiting);
      assert.ok(form);
      // Not answered yet: "continue" shows the same number again.
      const still = asPage(await post(at.browser, form, app));
      assert.equal(still.status, 200);
      assert.ok(still.html.includes(`>${row.number_to_match}</p>`));
      await answer(userId, privateKey, "approved");
      const done = await post(at.browser, form, app);
      assert.ok("callback" in done, "approved: signed in");
      const tokens = await redeem({ ...at, callbackUrl: done.callback, code: undefined, steps: [] });
      assert.deepEqual(tokens.claims()?.amr, ["pwd", "otp", "swk", "user"]);
      assert.equal(tokens.claims()?.acr, "urn:tessera:acr:mfa");
    });

    test("the waiting page may run its one script, which the server serves; the status endpoint answers JSON", async () => {
      const { tenantId, username, userId, app, privateKey } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      assert.doesNotMatch(
        (await at.browser.request(at.page.url)).headers.get("content-security-policy") ?? "",
        /script-src 'self'/,
      );
      const response = await at.browser.request(at.form.action, { method: "POST", form: at.form.hidden });
      assert.match(
        response.headers.get("content-security-policy") ?? "",
        /script-src 'self'; connect-src 'self'/,
      );
      const html = await response.text();
      const src = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
      assert.ok(src);
      const script = await fetch(new URL(src, s.url));
      assert.match(script.headers.get("content-type") ?? "", /javascript/);
      assert.match(await script.text(), /push-status|statusUrl/);
      const statusUrl = /data-status-url="([^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&");
      assert.ok(statusUrl);
      const url = new URL(statusUrl, s.url);
      const pending = await at.browser.request(url, { headers: { accept: "application/json" } });
      assert.deepEqual(await pending.json(), { status: "pending" });
      await answer(userId, privateKey, "approved");
      const approved = await at.browser.request(url, { headers: { accept: "application/json" } });
      assert.deepEqual(await approved.json(), { status: "approved" });
      url.searchParams.set("binding", "A".repeat(43));
      const forged = await at.browser.request(url);
      assert.equal(forged.status, 401);
      await forged.body?.cancel();
    });

    test("rejected: the page says so and offers a new push; expired likewise", async () => {
      const { tenantId, apiKey, username, userId, app, privateKey } = await setup({ pushCooldownSeconds: 0 });
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const waiting = asPage(await post(at.browser, at.form, app));
      await answer(userId, privateKey, "rejected");
      const form = continueForm(waiting);
      assert.ok(form);
      const rejected = asPage(await post(at.browser, form, app));
      assert.equal(rejected.status, 401);
      assert.match(rejected.html, /rejected on the phone/);
      const again = formsOf(rejected).find((f) => f.hidden.action === "send");
      assert.ok(again, "a new push is offered");
      await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginFailedInvalidOTP, "sso push: rejected");
      const second = asPage(await post(at.browser, again, app));
      const secondForm = continueForm(second);
      assert.ok(secondForm);
      s.clock.advance(121_000);
      const expired = asPage(await post(at.browser, secondForm, app));
      assert.equal(expired.status >= 400, true);
      assert.match(expired.html, /not answered in time/);
      await auditedWith(s, apiKey, ApiReturnCode.SendOTPExpired, "sso push: expired");
    });

    test("an approved push of another sign-in (same user) is refused as a bypass", async () => {
      const { tenantId, apiKey, username, userId, app, privateKey } = await setup({ pushMaxPending: 2 });
      const one = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const waiting = asPage(await post(one.browser, one.form, app));
      await answer(userId, privateKey, "approved");
      const approved = continueForm(waiting);
      assert.ok(approved);
      const two = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const { action: _send, ...hidden } = two.form.hidden;
      const moved = asPage(
        await post(two.browser, { ...two.form, hidden }, app, {
          push: approved.hidden.push ?? "",
          binding: approved.hidden.binding ?? "",
        }),
      );
      assert.equal(moved.status, 401);
      // Without any push at all: a skipped step.
      const skipped = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const { action: _skip, ...bare } = skipped.form.hidden;
      assert.equal(asPage(await post(skipped.browser, { ...skipped.form, hidden: bare }, app)).status, 401);
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
        "sso push: another sign-in's push",
      );
      assert.ok(events.filter((e) => e.subject === `user:${username}`).length >= 2);
      // The sign-in that sent it still finishes with it.
      assert.ok("callback" in (await post(one.browser, approved, app)));
    });

    test("burst: ten concurrent 'continue' posts after the approval, one sign-in finishes", async () => {
      const { tenantId, username, userId, app, privateKey } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const form = continueForm(asPage(await post(at.browser, at.form, app)));
      assert.ok(form);
      await answer(userId, privateKey, "approved");
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          at.browser.request(form.action, { method: "POST", form: form.hidden }),
        ),
      );
      for (const r of results) await r.body?.cancel();
      assert.equal(results.filter((r) => r.status === 303).length, 1, results.map((r) => r.status).join(" "));
      assert.ok(results.every((r) => r.status === 303 || r.status >= 400));
    });

    test("a push the limits refuse (one pending at most) shows the refusal (CreateTransactionFailed)", async () => {
      const { tenantId, apiKey, username, app } = await setup();
      const one = await ssoSignInUntil(options(tenantId, app, username), "factor");
      asPage(await post(one.browser, one.form, app));
      const two = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const refused = asPage(await post(two.browser, two.form, app));
      assert.ok(refused.status >= 400);
      assert.match(refused.html, /No request could be sent/);
      await auditedWith(s, apiKey, ApiReturnCode.CreateTransactionFailed, "sso push: refused");
    });
  });
}
