import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { createTestApp, redeem, ssoSignIn } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";

/**
 * A person signs in through the pages (password, then TOTP from oathtool) and the app redeems the
 * code with openid-client: code + PKCE -> tokens -> userinfo.
 */
for (const backend of backends) {
  suite(`SSO sign-in through the pages (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("password and TOTP on the pages give a code that openid-client redeems for tokens and userinfo", async () => {
      const { tenant, apiKey } = await s.tenant();
      const username = "ada";
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse battery", firstName: "Ada", lastName: "Lovelace" },
        scenario: "sso sign-in: setup",
      });
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
        scenario: "sso sign-in: setup",
      });
      for (const confidential of [false, true]) {
        const app = await createTestApp(s, tenant.id, { confidential });
        const result = await ssoSignIn({
          baseUrl: s.url,
          tenantId: tenant.id,
          ...app,
          username,
          password: "correct horse battery",
          otp: () => oathtoolTotp(secretHex, s.clock.now()),
        });
        assert.deepEqual(result.steps, ["password", "factor"]);
        assert.ok(result.code, result.callbackUrl.href);
        const tokens = await redeem(result);
        const claims = tokens.claims();
        assert.ok(claims);
        assert.deepEqual(claims.amr, ["pwd", "otp"]);
        const info = await oidc.fetchUserInfo(result.config, tokens.access_token, claims.sub);
        assert.equal(info.preferred_username, username);
        assert.equal(info.name, "Ada Lovelace");
        s.clock.advance(30_000);
      }
    });
  });
}
