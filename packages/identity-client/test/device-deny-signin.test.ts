import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DEVICE_GRANT_TYPE } from "../../server/src/sso/apps/app.ts";
import { createTestApp, type TestApp } from "../../server/test/helpers/sso-grant-fixtures.ts";
import { Browser, formsOf } from "../../server/test/helpers/sso-sign-in.ts";
import { IdentityStatusCode } from "../src/index.ts";
import { observe, type SignInFixture, signInClient, startSignInFixture } from "./helpers/signin-fixture.ts";

/**
 * A device sign-in the server refuses for good (here: the tenant requires a second factor and the
 * user has none) ends signIn({device: true}) with Failed at the next poll, not TimeOut when the
 * device code (or the sign-in's timeout) runs out.
 */
const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const PASSWORD = "a long and correct password";

describe("identity client: a device sign-in refused on the pages", () => {
  let f: SignInFixture;
  let app: TestApp;
  before(async () => {
    f = await startSignInFixture();
    // The production default: the tenant requires a second factor; this user has only a password.
    const { tenant, apiKey } = await f.s.tenant();
    const created = await f.s.api("POST", "/v1/users", {
      apiKey,
      body: { username: "nofactor", password: PASSWORD },
      scenario: "identity device deny: a user without a second factor",
    });
    assert.equal(created.body.errorCode, 0, JSON.stringify(created.body));
    app = await createTestApp(f.s, tenant.id, {
      kind: "native",
      grantTypes: [DEVICE_GRANT_TYPE],
      redirectUris: [],
    });
  });
  after(() => f.close());

  /** The person's side: the user code, its confirmation, the password; the refusal page is shown. */
  async function refuse(userCode: string, verificationUri: string): Promise<void> {
    const browser = new Browser();
    const page = new URL(verificationUri);
    const form = await browser.request(page);
    const confirm = await browser.request(page, {
      method: "POST",
      form: { xsrf: xsrfOf(await form.text()), user_code: userCode },
    });
    const signIn = await browser.follow(page, "urn:tessera:test:none", {
      method: "POST",
      form: { xsrf: xsrfOf(await confirm.text()), user_code: userCode, confirm: "yes" },
    });
    assert.ok(!("callback" in signIn));
    const password = formsOf(signIn).find((f) => f.step === "password");
    assert.ok(password !== undefined);
    const refused = await browser.follow(password.action, "urn:tessera:test:none", {
      method: "POST",
      form: { ...password.hidden, username: "nofactor", password: PASSWORD },
    });
    assert.ok(!("callback" in refused) && /no second factor set up/.test(refused.html));
    // One polling interval on the server clock, so the client's next poll is answered.
    f.s.clock.advance(5000);
  }

  test("signIn({device: true}) ends Failed at the next poll, well before its timeout", async () => {
    let refused: Promise<void> = Promise.resolve();
    const client = await signInClient(f, {
      app,
      onDeviceCode: (prompt) => {
        refused = refuse(prompt.userCode, prompt.verificationUri);
      },
    });
    // Before the fix this waited for the timeout and answered TimeOut; the client polls every 5 s.
    const result = observe(
      await client.signIn({ device: true, timeoutMs: 30_000 }),
      "sign-in: device sign-in refused on the pages",
    );
    await refused;
    assert.equal(result.status, IdentityStatusCode.Failed, result.message);
    assert.match(result.message ?? "", /refused/);
  });
});
