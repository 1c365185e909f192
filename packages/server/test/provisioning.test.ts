import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { redactUrl } from "../src/app/log-redaction.ts";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const STEP = 30_000;

for (const backend of backends) {
  suite(`soft-token provisioning (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("a link works once: Provisioned, then DeviceAlreadyProvisioned; a new link Reprovisions with a new secret", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "pam" },
        scenario: "provisioning: setup",
      });
      const created = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", username: "pam" },
        scenario: "provisioning: setup",
      });
      const serial = (created.body.authenticator as { serial: string }).serial;
      const link = async () =>
        (
          await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
            apiKey,
            scenario: "provisioning: link",
          })
        ).body.url as string;
      const open = (url: string, scenario: string) =>
        apiRequest(url.replace(/^https?:\/\/[^/]+/, s.url), { scenario });

      const first = await link();
      assert.match(first, /\/provision\/[A-Za-z0-9_-]{43}$/);
      const provisioned = await open(first, "provisioning: first");
      assert.equal(provisioned.status, 201);
      assert.equal(provisioned.body.errorCode, ApiReturnCode.Provisioned);
      const firstSecret = (decodeBase32(String(provisioned.body.secret)) ?? Buffer.alloc(0)).toString("hex");
      assert.match(String(provisioned.body.provisioningUri), /^otpauth:\/\/totp\//);
      const otp = (hex: string, scenario: string) =>
        s.api("POST", "/v1/auth/otp", {
          apiKey,
          body: { username: "pam", otp: oathtoolTotp(hex, s.clock.now()) },
          scenario,
        });
      assert.equal((await otp(firstSecret, "provisioning: code from the app")).body.errorCode, 0);

      const again = await open(first, "provisioning: link reused");
      assert.equal(again.status, 409);
      assert.equal(again.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);

      const second = await link();
      const reprovisioned = await open(second, "provisioning: second");
      assert.equal(reprovisioned.status, 200);
      assert.equal(reprovisioned.body.errorCode, ApiReturnCode.Reprovisioned);
      const secondSecret = (decodeBase32(String(reprovisioned.body.secret)) ?? Buffer.alloc(0)).toString(
        "hex",
      );
      assert.notEqual(secondSecret, firstSecret);
      s.clock.advance(STEP);
      assert.equal(
        (await otp(firstSecret, "provisioning: old secret")).body.errorCode,
        ApiReturnCode.OTPInvalid,
      );
      assert.equal((await otp(secondSecret, "provisioning: new secret")).body.errorCode, 0);
    });

    test("an expired or malformed link is NotFound, and links never reach the log", async () => {
      const { apiKey } = await s.tenant();
      const created = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "hotp" },
        scenario: "provisioning: setup",
      });
      const serial = (created.body.authenticator as { serial: string }).serial;
      const url = (
        await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
          apiKey,
          scenario: "provisioning: link",
        })
      ).body.url as string;
      s.clock.advance(15 * 60_000);
      const late = await apiRequest(url.replace(/^https?:\/\/[^/]+/, s.url), {
        scenario: "provisioning: expired",
      });
      assert.equal(late.status, 404);
      assert.equal(late.body.errorCode, TesseraApiCode.NotFound);
      assert.equal(
        (await apiRequest(`${s.url}/provision/short`, { scenario: "provisioning: malformed" })).status,
        404,
      );
      assert.equal(redactUrl(new URL(url).pathname), "/provision/[redacted]");
    });
  });
}
