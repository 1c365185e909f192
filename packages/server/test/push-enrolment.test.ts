import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { createApiKey } from "../src/tenants/api-keys.ts";
import { updateTenant } from "../src/tenants/tenant-store.ts";
import { TestPushApp } from "./helpers/push-app.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

for (const backend of backends) {
  suite(`push device enrolment (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const app = (algorithm: "ed25519" | "p256" = "ed25519") =>
      new TestPushApp(s.url, () => s.clock.now(), algorithm);

    /** A tenant with user alice and an open enrolment link for her. */
    const enrolment = async () => {
      const { apiKey, tenant } = await s.tenant();
      await s.api("POST", "/v1/users", { apiKey, body: { username: "alice" }, scenario: "push: setup" });
      const link = await s.api("POST", "/v1/users/alice/push-enrolments", {
        apiKey,
        scenario: "push: enrolment link",
      });
      assert.equal(link.status, 201, JSON.stringify(link.body));
      return { apiKey, tenant, url: String(link.body.enrolmentUrl), body: link.body };
    };

    test("the link is a 256-bit code under /app/v1/enrolments with an SVG QR code, valid 10 minutes", async () => {
      const { body } = await enrolment();
      assert.match(String(body.enrolmentUrl), /^http:\/\/[^/]+\/app\/v1\/enrolments\/[A-Za-z0-9_-]{43}$/);
      assert.match(String(body.qrCodeSvg), /^<svg[^>]*>.*<\/svg>\s*$/s);
      assert.equal(Date.parse(String(body.expiresAt)), s.clock.now() + 10 * 60_000);
    });

    for (const algorithm of ["ed25519", "p256"] as const) {
      test(`an app enrols with a ${algorithm} key and proof of possession: an activated push device of the user`, async () => {
        const { apiKey, url, tenant } = await enrolment();
        const phone = app(algorithm);
        const enrolled = await phone.enrol(url, "push: enrol", { name: "Alice's phone" });
        assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
        assert.match(phone.serial, /^PUSH[0-9A-F]{10}$/);
        assert.equal(enrolled.body.username, "alice");
        assert.equal(enrolled.body.tenant, tenant.name);
        assert.match(String(enrolled.body.vapidPublicKey), /^[A-Za-z0-9_-]{87}$/);
        const device = await s.api("GET", `/v1/authenticators/${phone.serial}`, {
          apiKey,
          scenario: "push: device",
        });
        const view = device.body.authenticator as Record<string, unknown>;
        assert.equal(view.type, "push");
        assert.equal(view.activated, true);
        assert.equal(view.username, "alice");
        const listed = await phone.call("GET", "/app/v1/requests", "push: first poll");
        assert.equal(listed.status, 200, JSON.stringify(listed.body));
        assert.deepEqual(listed.body.requests, []);
      });
    }

    test("a link is single use: 20 concurrent enrolments with one code create exactly one device", async () => {
      const { url, tenant } = await enrolment();
      const phones = Array.from({ length: 20 }, () => app());
      const results = await Promise.all(phones.map((p) => p.enrol(url, "push: enrol burst")));
      const created = results.filter((r) => r.status === 201);
      assert.equal(created.length, 1, results.map((r) => r.body.errorName).join(", "));
      for (const r of results.filter((r) => r.status !== 201))
        assert.equal(r.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned, JSON.stringify(r.body));
      const rows = await s.server.ctx.database.db
        .selectFrom("authenticators")
        .select("id")
        .where("tenant_id", "=", tenant.id)
        .where("type", "=", "push")
        .execute();
      assert.equal(rows.length, 1);
    });

    test("a key pair is enrolled once: the same key for another account (any tenant) is refused, the link unspent", async () => {
      const phone = app();
      const first = await enrolment();
      assert.equal((await phone.enrol(first.url, "push: enrol")).status, 201);
      const enrolled = phone.serial;
      const second = await enrolment();
      const again = await phone.enrol(second.url, "push: enrol a key enrolled before");
      assert.equal(again.status, 400, JSON.stringify(again.body));
      assert.equal(again.body.errorCode, ApiReturnCode.InvalidDeviceConfig);
      assert.equal(again.body.field, "body.publicKey");
      assert.equal(phone.serial, enrolled);
      assert.equal(
        (await app().enrol(second.url, "push: enrol a fresh key")).status,
        201,
        "the link was not spent",
      );
    });

    test("a used link is DeviceAlreadyProvisioned, an expired or unknown one NotFound", async () => {
      const { url } = await enrolment();
      assert.equal((await app().enrol(url, "push: enrol")).status, 201);
      const again = await app().enrol(url, "push: enrol used link");
      assert.equal(again.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);
      assert.equal(again.status, 409);
      const late = await enrolment();
      s.clock.advance(10 * 60_000);
      const expired = await app().enrol(late.url, "push: enrol expired link");
      assert.equal(expired.body.errorCode, TesseraApiCode.NotFound);
      assert.match(expired.body.errorMessage, /expired/);
      const unknown = await app().enrol(
        `${s.url}/app/v1/enrolments/${"A".repeat(43)}`,
        "push: enrol unknown",
      );
      assert.equal(unknown.body.errorCode, TesseraApiCode.NotFound);
    });

    test("without proof of possession (no or a wrong signature, a skewed timestamp) the link stays unspent", async () => {
      const { url } = await enrolment();
      const path = new URL(url).pathname;
      const phone = app();
      const other = app();
      const body = JSON.stringify({ algorithm: "ed25519", publicKey: phone.publicKey });
      const post = (headers: Record<string, string>, scenario: string) =>
        fetch(`${s.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body,
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as Record<string, unknown>,
          scenario,
        }));
      const unsigned = await post({ "tessera-timestamp": String(s.clock.now()) }, "unsigned");
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.body.errorCode, TesseraApiCode.AppRequestNotAuthenticated);
      assert.equal(unsigned.body.field, "headers.tessera-signature");
      // Signed by another key than the one enrolled.
      const forged = other.headers("POST", path, body);
      const wrongKey = await post(
        {
          "tessera-timestamp": forged["tessera-timestamp"] ?? "",
          "tessera-signature": forged["tessera-signature"] ?? "",
        },
        "wrong key",
      );
      assert.equal(wrongKey.body.errorCode, TesseraApiCode.AppRequestNotAuthenticated);
      for (const skew of [5 * 60_000 + 1, -(5 * 60_000 + 1)]) {
        const skewed = phone.headers("POST", path, body, String(s.clock.now() + skew));
        const refused = await post(
          {
            "tessera-timestamp": skewed["tessera-timestamp"] ?? "",
            "tessera-signature": skewed["tessera-signature"] ?? "",
          },
          "skewed",
        );
        assert.equal(refused.body.errorCode, TesseraApiCode.AppRequestNotAuthenticated);
        assert.equal(refused.body.field, "headers.tessera-timestamp");
      }
      const old = await phone.enrol(url, "push: enrol", {});
      assert.equal(old.status, 201, "the refusals left the link unspent");
    });

    test("another tenant's user is InvalidPartnerUserLogin; a key without the tokens scope is refused", async () => {
      await enrolment();
      const other = await s.tenant();
      const foreign = await s.api("POST", "/v1/users/alice/push-enrolments", {
        apiKey: other.apiKey,
        scenario: "push: enrolment link other tenant",
      });
      assert.equal(foreign.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      assert.equal(foreign.body.field, "params.username");
      const { apiKey: authOnly } = await createApiKey(
        s.server.ctx.database.db,
        other.tenant.id,
        "auth",
        ["auth"],
        s.clock.now(),
      );
      const narrow = await s.api("POST", "/v1/users/alice/push-enrolments", {
        apiKey: authOnly,
        scenario: "push: enrolment link scope",
      });
      assert.equal(narrow.status, 403, JSON.stringify(narrow.body));
    });

    test("a key of the wrong kind, extremes of every field and a disabled user are refused, leaving the link unspent", async () => {
      const { url, apiKey } = await enrolment();
      const phone = app();
      const p256 = app("p256");
      const cases: [Record<string, unknown>, string][] = [
        [{ algorithm: "ed25519", publicKey: p256.publicKey }, "body.publicKey"],
        [{ algorithm: "p256", publicKey: phone.publicKey }, "body.publicKey"],
        [{ algorithm: "ed25519", publicKey: "AAAA" }, "body.publicKey"],
        [{ algorithm: "ed25519", publicKey: "A".repeat(401) }, "body.publicKey"],
        [{ algorithm: "rsa", publicKey: phone.publicKey }, "body.algorithm"],
        [{ algorithm: "ed25519", publicKey: phone.publicKey, name: "x".repeat(101) }, "body.name"],
        [{ algorithm: "ed25519", publicKey: phone.publicKey, name: 2 ** 53 }, "body.name"],
        [{ algorithm: "ed25519", publicKey: phone.publicKey, extra: true }, "body.extra"],
      ];
      for (const [body, field] of cases) {
        const path = new URL(url).pathname;
        const raw = JSON.stringify(body);
        const headers = phone.headers("POST", path, raw);
        delete headers["tessera-device"];
        const response = await s.api("POST", path, {
          rawBody: raw,
          headers,
          scenario: "push: enrol refused",
        });
        assert.equal(response.status, 400, raw);
        assert.equal(response.body.field, field, JSON.stringify(response.body));
      }
      await s.api("PATCH", "/v1/users/alice", {
        apiKey,
        body: { disabled: true },
        scenario: "push: disable user",
      });
      const disabled = await phone.enrol(url, "push: enrol disabled user");
      assert.equal(disabled.body.errorCode, ApiReturnCode.PartnerUserLoginDisabled);
      await s.api("PATCH", "/v1/users/alice", {
        apiKey,
        body: { disabled: false },
        scenario: "push: enable user",
      });
      assert.equal((await phone.enrol(url, "push: enrol")).status, 201);
    });

    test("a link of a tenant disabled after it was issued enrols nothing and stays unspent", async () => {
      const { url, tenant } = await enrolment();
      const phone = app();
      const db = s.server.ctx.database.db;
      await updateTenant(db, tenant.id, { disabled: true }, s.clock.now());
      const refused = await phone.enrol(url, "push: enrol tenant disabled");
      // As the device's own requests are refused once the tenant is disabled (app-authentication.ts).
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal(refused.body.errorCode, ApiReturnCode.PartnerLoginFailed);
      const devices = await db
        .selectFrom("authenticators")
        .select("id")
        .where("tenant_id", "=", tenant.id)
        .where("type", "=", "push")
        .execute();
      assert.equal(devices.length, 0);
      await updateTenant(db, tenant.id, { disabled: false }, s.clock.now());
      assert.equal((await phone.enrol(url, "push: enrol")).status, 201);
    });

    test("enrolment and app requests are in the tenant's audit trail; expired links are swept", async () => {
      const { url, apiKey, tenant } = await enrolment();
      const phone = app();
      await phone.enrol(url, "push: enrol");
      await phone.call("GET", "/app/v1/requests", "push: poll");
      const audit = await s.api("GET", `/v1/audit?subject=authenticator:${phone.serial}`, {
        apiKey,
        scenario: "push: audit",
      });
      const events = (audit.body.events as { operation: string; actor: string }[]).map(
        (e) => `${e.operation} ${e.actor}`,
      );
      assert.ok(events.includes("POST /app/v1/enrolments/:code anonymous"), events.join(", "));
      assert.ok(events.includes(`GET /app/v1/requests device:${phone.serial}`), events.join(", "));
      await enrolment();
      const count = async () =>
        (
          await s.server.ctx.database.db
            .selectFrom("push_enrolments")
            .select("id")
            .where("tenant_id", "=", tenant.id)
            .execute()
        ).length;
      assert.equal(await count(), 1);
      const round = await runHousekeepingRound(s.server.ctx, s.clock.now() + 10 * 60_000);
      assert.ok((round.deleted.push_enrolments ?? 0) >= 1);
      assert.equal(await count(), 0);
    });
  });
}
