import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { createTestApp, ssoSignInUntil } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * A sign-in already past the password when the password is reset (or the user disabled) does not
 * finish: whoever typed the old password is stopped at the next step, not handed a code.
 */
const SECRET_HEX = Buffer.from("12345678901234567890").toString("hex");

for (const backend of backends) {
  suite(`a sign-in under way when the password is reset (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    for (const [label, change] of [
      ["reset", { path: "password", body: { newPassword: "the administrator's new one" } }],
      ["disable", { path: "", body: { disabled: true } }],
    ] as const)
      test(`${label}: the factor step of a sign-in begun with the old password gives no code`, async () => {
        const { tenant, apiKey } = await s.tenant();
        const username = `reset-${label}`;
        await s.api("POST", "/v1/users", {
          apiKey,
          body: { username, password: "the old long password" },
          scenario: "sso reset: setup",
        });
        await s.api("POST", "/v1/authenticators", {
          apiKey,
          body: { type: "totp", secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", username },
          scenario: "sso reset: setup",
        });
        const app = await createTestApp(s, tenant.id);
        const options = {
          baseUrl: s.url,
          tenantId: tenant.id,
          clientId: app.clientId,
          redirectUri: app.redirectUri,
          username,
          password: "the old long password",
        };
        const { form, browser } = await ssoSignInUntil(options, "factor");
        const changed = await s.api(
          label === "reset" ? "POST" : "PATCH",
          `/v1/users/${username}${change.path === "" ? "" : `/${change.path}`}`,
          {
            apiKey,
            body: change.body,
            scenario: "sso reset: change",
          },
        );
        assert.equal(changed.body.errorCode, 0, JSON.stringify(changed.body));
        const after = await browser.follow(form.action, app.redirectUri, {
          method: "POST",
          form: { ...form.hidden, otp: oathtoolTotp(SECRET_HEX, s.clock.now()) },
        });
        assert.ok(!("callback" in after) || after.callback.searchParams.get("code") === null, "no code");
      });
  });
}
