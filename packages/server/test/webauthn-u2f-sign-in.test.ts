import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { type GetOptions, SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { type U2fKey, u2fKey } from "./helpers/u2f-key.ts";
import { register } from "./helpers/webauthn-registration.ts";

const APP_ID = "https://id.example.com/u2f/app-id.json";

/**
 * End to end: a registration from a previous U2F server is imported (POST /v1/webauthn/u2f-keys),
 * then the key signs in through /v1/webauthn/authentication/* as a browser does with a legacy
 * key: the options carry the `appid` extension, the key signs over SHA-256(AppID) and the client
 * reports `appid: true`.
 */
for (const backend of backends) {
  suite(`a legacy U2F key signs in through the appid extension (${backend})`, () => {
    let s: TestServer;
    let origin = "";
    before(async () => {
      s = await startTestServer(backend);
      origin = new URL(s.server.ctx.publicUrl).origin;
    });
    after(() => s.close());

    /** A tenant with the AppID, user alice and her imported U2F key (last counter `counter`). */
    const imported = async (counter = 412) => {
      const { apiKey, tenant } = await s.tenant();
      // The operator names the previous server's AppID first (the tenant API).
      const patched = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { webauthnU2fAppId: APP_ID },
        scenario: "u2f sign-in: setup",
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice" },
        scenario: "u2f sign-in: setup",
      });
      const key = u2fKey(APP_ID);
      const r = await s.api("POST", "/v1/webauthn/u2f-keys", {
        apiKey,
        body: {
          username: "alice",
          keyHandle: key.keyHandle,
          publicKey: key.publicKey,
          appId: APP_ID,
          version: "U2F_V2",
          counter,
        },
        scenario: "u2f sign-in: import",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      // The device goes on counting from where the previous server last saw it.
      key.credential.counter = counter;
      return { apiKey, tenant, key, serial: String((r.body.key as { serial: string }).serial) };
    };
    const options = async (apiKey: string) => {
      const r = await s.api("POST", "/v1/webauthn/authentication/options", {
        apiKey,
        body: { username: "alice" },
        scenario: "u2f sign-in: options",
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { ceremonyId: String(r.body.ceremonyId), options: r.body.options as Record<string, unknown> };
    };
    /** The key answers as a U2F key does: no user verification, signed under `appId`. */
    const sign = (key: U2fKey, requestOptions: Record<string, unknown>, o: Partial<GetOptions> = {}) =>
      new SoftAuthenticator().get(requestOptions, {
        origin,
        uv: false,
        credential: key.credential,
        appId: APP_ID,
        ...o,
      });
    const verify = (
      apiKey: string,
      ceremonyId: string,
      response: unknown,
      scenario = "u2f sign-in: verify",
    ) =>
      s.api("POST", "/v1/webauthn/authentication/verify", {
        apiKey,
        body: { ceremonyId, response },
        scenario,
      });
    const storedCounter = async (credentialId: string) =>
      Number(
        (
          await s.server.ctx.database.db
            .selectFrom("webauthn_credentials")
            .select("sign_count")
            .where("credential_id", "=", credentialId)
            .executeTakeFirstOrThrow()
        ).sign_count,
      );

    test("options carry the AppID; the key signs under it and the user is signed in; the counter moves on", async () => {
      const { apiKey, key, serial } = await imported();
      const started = await options(apiKey);
      const extensions = started.options.extensions as { appid?: string } | undefined;
      assert.equal(extensions?.appid, APP_ID);
      const allowed = started.options.allowCredentials as { id: string }[];
      assert.deepEqual(
        allowed.map((c) => c.id),
        [key.keyHandle],
      );
      const r = await verify(apiKey, started.ceremonyId, sign(key, started.options));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.username, "alice");
      assert.equal(r.body.serial, serial);
      assert.equal(r.body.userVerified, false);
      assert.equal(await storedCounter(key.keyHandle), 413);
      // And again, with a new ceremony.
      const again = await options(apiKey);
      assert.equal((await verify(apiKey, again.ceremonyId, sign(key, again.options))).status, 200);
      assert.equal(await storedCounter(key.keyHandle), 414);
    });

    test("a user with a registered key and an imported U2F key: both offered, each signs in its own way", async () => {
      const { apiKey, key, serial } = await imported();
      const soft = new SoftAuthenticator();
      const registered = await register(s, apiKey, "alice", { authenticator: soft }, "u2f sign-in: register");
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const started = await options(apiKey);
      const allowed = (started.options.allowCredentials as { id: string }[]).map((c) => c.id);
      assert.equal(allowed.length, 2);
      assert.ok(allowed.includes(key.keyHandle));
      const modern = await verify(apiKey, started.ceremonyId, soft.get(started.options, { origin }));
      assert.equal(modern.status, 200, JSON.stringify(modern.body));
      assert.equal(modern.body.serial, (registered.body.key as { serial: string }).serial);
      const again = await options(apiKey);
      const legacy = await verify(apiKey, again.ceremonyId, sign(key, again.options));
      assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
      assert.equal(legacy.body.serial, serial);
    });

    test("signed under the AppID without the client reporting appid: InvalidAppID", async () => {
      const { apiKey, key } = await imported();
      const started = await options(apiKey);
      const response = sign(key, started.options, {
        tamper: { response: (json) => ({ ...json, clientExtensionResults: {} }) },
      });
      const r = await verify(apiKey, started.ceremonyId, response);
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidAppID);
    });

    test("signed under another AppID while claiming appid: InvalidAppID", async () => {
      const { apiKey, key } = await imported();
      const started = await options(apiKey);
      const response = sign(key, started.options, { appId: "https://evil.example/u2f/app-id.json" });
      const r = await verify(apiKey, started.ceremonyId, response);
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidAppID);
    });

    test("the imported counter holds: a signature counting from below it is refused and flags the key", async () => {
      const { apiKey, key } = await imported(412);
      // A copy of the key that has signed only 5 times since (a clone, or an assertion captured
      // before the move): below what the previous server last saw.
      key.credential.counter = 4;
      const started = await options(apiKey);
      const r = await verify(apiKey, started.ceremonyId, sign(key, started.options));
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid);
      const row = await s.server.ctx.database.db
        .selectFrom("webauthn_credentials")
        .select("clone_suspected_at")
        .where("credential_id", "=", key.keyHandle)
        .executeTakeFirstOrThrow();
      assert.notEqual(row.clone_suspected_at, null);
    });

    test("a tenant requiring user verification refuses a U2F key (it only tests presence): NoUserPresence", async () => {
      const { apiKey, key } = await imported();
      const patched = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { webauthnUserVerification: "required" },
        scenario: "u2f sign-in: setup",
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const started = await options(apiKey);
      const r = await verify(apiKey, started.ceremonyId, sign(key, started.options));
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FNoUserPresence);
    });

    test("another key signing under this key's handle is InvalidSignDataInvalid", async () => {
      const mine = await imported();
      const theirs = await imported();
      const started = await options(mine.apiKey);
      // Their key (other private key) answering my ceremony under the allowed handle of mine:
      const response = sign(theirs.key, started.options, {
        tamper: { response: (json) => ({ ...json, id: mine.key.keyHandle, rawId: mine.key.keyHandle }) },
      });
      const r = await verify(mine.apiKey, started.ceremonyId, response);
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid);
    });
  });
}
