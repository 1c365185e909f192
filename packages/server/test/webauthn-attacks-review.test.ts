import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { updateTenant } from "../src/tenants/tenant-store.ts";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { createTestApp, formsOf, ssoSignInUntil } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { u2fKey } from "./helpers/u2f-key.ts";
import {
  ATTACK_APP_ID,
  type AttackTenant,
  assertRefused,
  WebAuthnFixtures,
} from "./helpers/webauthn-attack-setup.ts";
import { storedKey } from "./helpers/webauthn-keys.ts";
import { startRegistration, verify } from "./helpers/webauthn-registration.ts";

/**
 * Attacks from the review of the WebAuthn part (#15): the generic authenticator routes used on a
 * security key, which is bound to its user by the user handle the authenticator keeps.
 */
for (const backend of backends) {
  suite(`WebAuthn review attacks (${backend})`, () => {
    let s: TestServer;
    let f: WebAuthnFixtures;
    let a: AttackTenant;
    before(async () => {
      s = await startTestServer(backend);
      f = new WebAuthnFixtures(s);
      a = await f.tenant(["alice", "bob"]);
    });
    after(() => s.close());

    const key = (username: string) => {
      const found = a.keys[username];
      assert.ok(found !== undefined);
      return found;
    };
    const signsIn = async (username: string) => {
      const started = await f.options(a.apiKey, { username }, "webauthn review: options");
      return f.verify(
        a.apiKey,
        { ceremonyId: started.ceremonyId, response: f.sign(key(username), started.options) },
        "webauthn review: verify",
      );
    };

    test("a security key cannot be moved to another user or unassigned through /v1/authenticators; it stays its user's", async () => {
      const serial = key("alice").serial;
      const moved = await s.api("POST", `/v1/authenticators/${serial}/assign`, {
        apiKey: a.apiKey,
        body: { username: "bob", force: true },
        scenario: "webauthn review: assign a security key",
      });
      assertRefused(moved, 400, ApiReturnCode.OTPTypeInvalid);
      const unassigned = await s.api("POST", `/v1/authenticators/${serial}/unassign`, {
        apiKey: a.apiKey,
        scenario: "webauthn review: unassign a security key",
      });
      assertRefused(unassigned, 400, ApiReturnCode.OTPTypeInvalid);
      const shown = await s.api("GET", `/v1/authenticators/${serial}`, {
        apiKey: a.apiKey,
        scenario: "webauthn review: show",
      });
      assert.equal((shown.body.authenticator as { username: string }).username, "alice");
      const r = await signsIn("alice");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.username, "alice");
    });

    test("scopes: an auth key only signs in; a tokens key cannot sign in; neither reaches the other's routes", async () => {
      const scoped = async (scope: string) => {
        const r = await s.api("POST", "/v1/api-keys", {
          apiKey: a.apiKey,
          body: { name: `webauthn ${scope}`, scopes: [scope] },
          scenario: "webauthn review: setup",
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return String(r.body.apiKey);
      };
      const auth = await scoped("auth");
      const tokens = await scoped("tokens");
      const serial = key("bob").serial;
      const calls: [string, string, unknown][] = [
        ["POST", "/v1/webauthn/registration/options", { username: "bob" }],
        ["POST", "/v1/webauthn/registration/verify", { ceremonyId: "x", response: {} }],
        ["GET", "/v1/users/bob/webauthn-keys", undefined],
        ["PATCH", `/v1/webauthn/keys/${serial}`, { name: "mine now" }],
        ["DELETE", `/v1/webauthn/keys/${serial}`, undefined],
        ["POST", "/v1/webauthn/u2f-keys", { username: "bob" }],
      ];
      for (const [method, path, body] of calls) {
        const r = await s.api(method as "POST", path, {
          apiKey: auth,
          ...(body === undefined ? {} : { body }),
          scenario: "webauthn review: auth key on key routes",
        });
        assertRefused(r, 403, ApiReturnCode.PartnerUserLoginFailedNotAdmin, "headers.authorization");
      }
      for (const path of ["/v1/webauthn/authentication/options", "/v1/webauthn/authentication/verify"]) {
        const r = await s.api("POST", path, {
          apiKey: tokens,
          body: { username: "bob" },
          scenario: "webauthn review: tokens key on sign-in routes",
        });
        assertRefused(r, 403, ApiReturnCode.PartnerUserLoginFailedNotAdmin, "headers.authorization");
      }
      // Bob's key is untouched, and the auth key signs him in.
      const r = await signsIn("bob");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const listed = await s.api("GET", "/v1/users/bob/webauthn-keys", {
        apiKey: tokens,
        scenario: "webauthn review: tokens key lists",
      });
      assert.deepEqual(
        (listed.body.keys as { serial: string; name: string }[]).map((k) => k.serial),
        [serial],
      );
    });

    test("the generic DELETE /v1/authenticators keeps a security key that is the user's last required second factor", async () => {
      const t = await f.tenant(["gus"]);
      await updateTenant(
        s.server.ctx.database.db,
        t.tenantId,
        { ssoSecondFactor: "required" },
        s.clock.now(),
      );
      const serial = t.keys.gus?.serial ?? "";
      const r = await s.api("DELETE", `/v1/authenticators/${serial}`, {
        apiKey: t.apiKey,
        scenario: "webauthn review: generic delete of the last key",
      });
      assertRefused(r, 409, ApiReturnCode.PartnerUserFIDOU2FDeleteSecurityKeyFailed, "params.serial");
      const listed = await s.api("GET", "/v1/users/gus/webauthn-keys", {
        apiKey: t.apiKey,
        scenario: "webauthn review: list",
      });
      assert.equal((listed.body.keys as unknown[]).length, 1);
    });

    test("the signature counter at the top of 32 bits: 2^32-1 once; the same again or wrapped to 0 is a clone", async () => {
      await s.api("POST", "/v1/users", {
        apiKey: a.apiKey,
        body: { username: "hal" },
        scenario: "webauthn review: setup",
      });
      const hal = u2fKey(ATTACK_APP_ID);
      const imported = await s.api("POST", "/v1/webauthn/u2f-keys", {
        apiKey: a.apiKey,
        body: {
          username: "hal",
          keyHandle: hal.keyHandle,
          publicKey: hal.publicKey,
          appId: ATTACK_APP_ID,
          version: "U2F_V2",
          counter: 2 ** 32 - 2,
        },
        scenario: "webauthn review: setup",
      });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      const attempt = async (counterBefore: number) => {
        hal.credential.counter = counterBefore;
        const started = await f.options(a.apiKey, { username: "hal" }, "webauthn review: options");
        return f.verify(
          a.apiKey,
          { ceremonyId: started.ceremonyId, response: f.sign(hal, started.options) },
          "webauthn review: counter extremes",
        );
      };
      const stored = async () =>
        s.server.ctx.database.db
          .selectFrom("webauthn_credentials")
          .select(["sign_count", "clone_suspected_at"])
          .where("credential_id", "=", hal.keyHandle)
          .executeTakeFirstOrThrow();
      assert.equal((await attempt(2 ** 32 - 2)).status, 200);
      assert.equal(Number((await stored()).sign_count), 2 ** 32 - 1);
      assertRefused(await attempt(2 ** 32 - 2), 401, ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid);
      const flagged = await stored();
      assert.notEqual(flagged.clone_suspected_at, null);
      assert.equal(Number(flagged.sign_count), 2 ** 32 - 1);
      const serial = String((imported.body.key as { serial: string }).serial);
      await s.api("POST", `/v1/authenticators/${serial}/enable`, {
        apiKey: a.apiKey,
        scenario: "webauthn review: re-enable",
      });
      // Wrapped around to 0 (then 1): still not forward of 2^32-1.
      assertRefused(await attempt(-1), 401, ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid);
      assert.equal(Number((await stored()).sign_count), 2 ** 32 - 1);
    });

    test("maxUses, which a security key's sign-in does not count, is refused for one rather than stored and ignored", async () => {
      const t = await f.tenant(["ida"]);
      const serial = t.keys.ida?.serial ?? "";
      const r = await s.api("PATCH", `/v1/authenticators/${serial}`, {
        apiKey: t.apiKey,
        body: { maxUses: 1 },
        scenario: "webauthn review: maxUses on a security key",
      });
      assertRefused(r, 400, ApiReturnCode.OTPTypeInvalid, "body.maxUses");
      const shown = await s.api("GET", `/v1/authenticators/${serial}`, {
        apiKey: t.apiKey,
        scenario: "webauthn review: show",
      });
      assert.equal((shown.body.authenticator as { maxUses: number | null }).maxUses, null);
    });

    test("a provisioning link (a fresh OATH seed) is refused for a security key, whose sealed public key it would overwrite", async () => {
      const t = await f.tenant(["jan"]);
      const serial = t.keys.jan?.serial ?? "";
      const r = await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
        apiKey: t.apiKey,
        scenario: "webauthn review: provisioning link for a security key",
      });
      assertRefused(r, 400, ApiReturnCode.OTPTypeInvalid, "params.serial");
      const row = await s.server.ctx.database.db
        .selectFrom("authenticators")
        .select(["provision_hash", "seed_revealed"])
        .where("serial", "=", serial)
        .executeTakeFirstOrThrow();
      assert.equal(row.provision_hash, null);
      assert.equal(Number(row.seed_revealed), 0);
    });

    test("the OATH and challenge routes on a security key's serial: a 4xx each, and the key still signs in", async () => {
      const t = await f.tenant(["kai"]);
      const serial = t.keys.kai?.serial ?? "";
      const calls: [string, string, unknown][] = [
        ["POST", `/v1/authenticators/${serial}/activate`, { otp: "123456" }],
        ["POST", `/v1/authenticators/${serial}/resync`, { otp1: "123456", otp2: "654321" }],
        ["POST", `/v1/authenticators/${serial}/verification`, {}],
        ["PATCH", `/v1/authenticators/${serial}`, { counter: 5 }],
        ["PATCH", `/v1/authenticators/${serial}`, { period: 60 }],
        ["POST", "/v1/auth/otp", { serial, otp: "123456" }],
      ];
      for (const [method, path, body] of calls) {
        const r = await s.api(method as "POST", path, {
          apiKey: t.apiKey,
          body,
          scenario: "webauthn review: OATH routes on a security key",
        });
        assert.ok(
          r.status >= 400 && r.status < 500,
          `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`,
        );
      }
      const started = await f.options(t.apiKey, { username: "kai" }, "webauthn review: options");
      const k = t.keys.kai;
      assert.ok(k !== undefined);
      const r = await f.verify(
        t.apiKey,
        { ceremonyId: started.ceremonyId, response: f.sign(k, started.options) },
        "webauthn review: verify",
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });

    test("registration: a tenant that requires user verification since the options were given gets it at verify", async () => {
      const t = await f.tenant(["lia"]);
      const started = await startRegistration(s, t.apiKey, { username: "lia" }, "webauthn review: register");
      await updateTenant(
        s.server.ctx.database.db,
        t.tenantId,
        { webauthnUserVerification: "required" },
        s.clock.now(),
      );
      const response = new SoftAuthenticator().create(started.options, {
        origin: new URL(s.url).origin,
        uv: false,
      });
      const r = await verify(
        s,
        t.apiKey,
        { ceremonyId: started.ceremonyId, response },
        "webauthn review: register without UV",
      );
      assertRefused(r, 401, ApiReturnCode.PartnerUserFIDOU2FNoUserPresence);
      const listed = await s.api("GET", "/v1/users/lia/webauthn-keys", {
        apiKey: t.apiKey,
        scenario: "webauthn review: list",
      });
      assert.equal(
        (listed.body.keys as unknown[]).filter((k) => !(k as { legacyU2f: boolean }).legacyU2f).length,
        0,
      );
    });

    test("a key registered at the sign-in's enrolment step is audited with its serial, as the API's registration is", async () => {
      const password = "correct horse battery";
      const enrolling = await s.tenant(undefined, { ssoSecondFactor: "required", ssoSelfEnrolment: true });
      const app = await createTestApp(s, enrolling.tenant.id);
      await s.api("POST", "/v1/users", {
        apiKey: enrolling.apiKey,
        body: { username: "mia", password },
        scenario: "webauthn review: setup",
      });
      const start = await ssoSignInUntil(
        {
          baseUrl: s.url,
          tenantId: enrolling.tenant.id,
          clientId: app.clientId,
          redirectUri: app.redirectUri,
          username: "mia",
          password,
        },
        "enrol",
      );
      const csrf = formsOf(start.page).find((form) => form.hidden.factor === "webauthn")?.hidden.csrf ?? "";
      const base = start.page.url.pathname.replace(/\/enrol$/, "");
      const optionsAnswer = await start.browser.request(new URL(`${base}/webauthn-options`, s.url), {
        method: "POST",
        form: { csrf },
        headers: { accept: "application/json" },
      });
      assert.equal(optionsAnswer.status, 200);
      const c = (await optionsAnswer.json()) as {
        ceremonyId: string;
        binding: string;
        options: Record<string, unknown>;
      };
      const response = new SoftAuthenticator().create(c.options, {
        origin: new URL(s.server.ctx.publicUrl).origin,
      });
      const at = await start.browser.follow(new URL(`${base}/enrol`, s.url), app.redirectUri, {
        method: "POST",
        form: {
          csrf,
          factor: "webauthn",
          ceremony: c.ceremonyId,
          binding: c.binding,
          credential: JSON.stringify(response),
        },
      });
      assert.ok("callback" in at, "signed in");
      const keys = await s.api("GET", "/v1/users/mia/webauthn-keys", {
        apiKey: enrolling.apiKey,
        scenario: "webauthn review: list",
      });
      const serial = (keys.body.keys as { serial: string }[])[0]?.serial ?? "";
      const events = await s.api(
        "GET",
        `/v1/audit?subject=${encodeURIComponent(`authenticator:${serial}`)}`,
        {
          apiKey: enrolling.apiKey,
          scenario: "webauthn review: audit",
        },
      );
      const found = events.body.events as { operation: string; resultCode: number }[];
      assert.ok(
        found.some((e) => /registered/.test(e.operation) && /mia/.test(e.operation) && e.resultCode === 0),
        JSON.stringify(events.body),
      );
    });

    test("a deleted user's security keys go with them: no webauthn row without its credential is left in the tenant", async () => {
      const t = await f.tenant(["dave", "erin"]);
      const serial = t.keys.dave?.serial ?? "";
      const deleted = await s.api("DELETE", "/v1/users/dave", {
        apiKey: t.apiKey,
        scenario: "webauthn review: delete a user with a key",
      });
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      const shown = await s.api("GET", `/v1/authenticators/${serial}`, {
        apiKey: t.apiKey,
        scenario: "webauthn review: a deleted user's key",
      });
      assertRefused(shown, 404, ApiReturnCode.DeviceNotFound, "params.serial");
      const next = await s.api("POST", "/v1/authenticators/assign-next", {
        apiKey: t.apiKey,
        body: { username: "erin" },
        scenario: "webauthn review: the pool after deleting a user with a key",
      });
      assertRefused(next, 409, ApiReturnCode.NoDevicesAvailable);
    });

    test("the first page's ceremonies are limited per source: a flood of webauthn-options stores at most the limit", async () => {
      const { apiKey, tenant } = await s.tenant();
      const app = await createTestApp(s, tenant.id);
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "olga", password: "correct horse battery" },
        scenario: "webauthn review: setup",
      });
      const userId = String((created.body.user as { id: string }).id);
      // Passkeys are offered on the first page once the tenant has a key.
      await storedKey(s, {
        tenantId: tenant.id,
        userId,
        serial: "KEY-olga",
        rpId: new URL(s.server.ctx.publicUrl).hostname,
      });
      const start = await ssoSignInUntil(
        {
          baseUrl: s.url,
          tenantId: tenant.id,
          clientId: app.clientId,
          redirectUri: app.redirectUri,
          username: "olga",
          password: "correct horse battery",
        },
        "password",
      );
      const csrf = formsOf(start.page)[0]?.hidden.csrf ?? "";
      const url = new URL(`${start.page.url.pathname.replace(/\/password$/, "")}/webauthn-options`, s.url);
      const limit = s.server.ctx.config.rateLimits.ssoSignInPerSource;
      const statuses: number[] = [];
      for (let n = 0; n < limit + 5; n += 1) {
        const r = await start.browser.request(url, {
          method: "POST",
          form: { csrf },
          headers: { accept: "application/json" },
        });
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      assert.equal(statuses.filter((x) => x === 200).length, limit, statuses.join(","));
      assert.equal(statuses.at(-1), 429);
      const stored = await s.server.ctx.database.db
        .selectFrom("webauthn_ceremonies")
        .select("id_hash")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.equal(stored.length, limit);
      const limited = await s.api("GET", `/v1/audit?resultCode=${TesseraApiCode.RateLimited}&limit=10`, {
        apiKey,
        scenario: "webauthn review: audit",
      });
      assert.ok((limited.body.events as unknown[]).length > 0, JSON.stringify(limited.body));
      // Counted apart from the password posts: the same address still signs in with a password.
      const after = await ssoSignInUntil(
        {
          baseUrl: s.url,
          tenantId: tenant.id,
          clientId: app.clientId,
          redirectUri: app.redirectUri,
          username: "olga",
          password: "correct horse battery",
        },
        "factor",
      );
      assert.equal(after.form.step, "factor");
      // The tests after this one start a fresh minute (the limit's window).
      s.clock.advance(61_000);
    });
  });
}
