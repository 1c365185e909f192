import assert from "node:assert/strict";
import { test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { appSigningString } from "../src/push/app-request-signature.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { TestPushApp } from "./helpers/push-app.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer } from "./helpers/test-server.ts";

/**
 * Tessera behind a reverse proxy under a base path (publicUrl https://id.example.com/tessera/, the
 * proxy strips /tessera): the enrolment link keeps the base path, as every link built on publicUrl
 * does, and an app that signs the path it sends (/tessera/app/v1/...) is accepted although the
 * server receives it without the prefix. Here the test is the proxy: it signs the public path and
 * sends the stripped one.
 */
for (const backend of backends) {
  test(`push app behind a proxy under publicUrl's base path (${backend})`, async () => {
    const s = await startTestServer(backend, { flags: { publicUrl: "https://id.example.com/tessera/" } });
    try {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", { apiKey, body: { username: "pat" }, scenario: "base path: setup" });
      const link = await s.api("POST", "/v1/users/pat/push-enrolments", {
        apiKey,
        scenario: "base path: link",
      });
      assert.equal(link.status, 201, JSON.stringify(link.body));
      const url = new URL(String(link.body.enrolmentUrl));
      assert.match(url.pathname, /^\/tessera\/app\/v1\/enrolments\/[A-Za-z0-9_-]{43}$/);

      const app = new TestPushApp(s.url, () => s.clock.now());
      const stripped = (path: string) => path.replace(/^\/(tessera|other)\//, "/");
      const send = (method: string, publicPath: string, body: string, extra: Record<string, string>) => {
        const timestamp = app.nextTimestamp();
        const signature = app.sign(appSigningString(method, publicPath, timestamp, Buffer.from(body)));
        return apiRequest(`${s.url}${stripped(publicPath)}`, {
          method,
          scenario: "base path: app",
          headers: { "tessera-timestamp": timestamp, "tessera-signature": signature, ...extra },
          ...(body === "" ? {} : { body }),
        });
      };
      const enrolBody = JSON.stringify({ algorithm: "ed25519", publicKey: app.publicKey });
      const enrolled = await send("POST", url.pathname, enrolBody, { "content-type": "application/json" });
      assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
      app.serial = String(enrolled.body.serial);
      const listed = await send("GET", "/tessera/app/v1/requests", "", { "tessera-device": app.serial });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      // Only the configured base path is accepted in front of the path: another prefix is refused.
      const other = await send("GET", "/other/app/v1/requests", "", { "tessera-device": app.serial });
      assert.equal(other.body.errorCode, TesseraApiCode.AppRequestNotAuthenticated);
    } finally {
      await s.close();
    }
  });
}
