import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { findBySerial } from "../src/authenticators/authenticator-store.ts";
import { outboundDns } from "../src/net/checked-lookup.ts";
import { openDeviceMaterial } from "../src/push/device-material.ts";
import { notifyDevice } from "../src/push/notify-device.ts";
import { insertPendingRequest, TestPushApp } from "./helpers/push-app.ts";
import { enrolledDevice } from "./helpers/push-device.ts";
import { TestPushService, verifyVapid } from "./helpers/push-service.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

for (const backend of backends) {
  suite(`Web Push delivery (${backend})`, () => {
    let s: TestServer;
    let service: TestPushService;
    before(async () => {
      // The push service of this test listens on loopback over http, which the production default
      // refuses (see the suite below); this server allows it for that reason only.
      s = await startTestServer(backend, { flags: { "push.webPushAllowPrivateNetworks": true } });
      service = await new TestPushService().start();
    });
    after(async () => {
      await service.close();
      await s.close();
    });

    const device = async () => {
      const enrolled = await enrolledDevice(s, { extra: { webPush: service.subscription() } });
      const row = await findBySerial(s.server.ctx.database.db, enrolled.phone.serial);
      assert.ok(row !== undefined);
      return { ...enrolled, device: row };
    };

    test("a new request reaches the push service encrypted per RFC 8291 and signed with the VAPID key", async () => {
      service.status = 201;
      const before = service.messages.length;
      const { device: row } = await device();
      const request = await insertPendingRequest(s.server.ctx, row, { ttlMs: 90_000 });
      assert.equal(await notifyDevice(s.server.ctx, row, request), "delivered");
      assert.equal(service.messages.length, before + 1);
      const message = service.messages.at(-1);
      assert.ok(message !== undefined);
      assert.equal(message.path, "/push/device-1");
      assert.equal(message.headers["content-encoding"], "aes128gcm");
      assert.equal(message.headers.ttl, "90");
      assert.equal(message.headers.urgency, "high");
      assert.deepEqual(JSON.parse(service.decrypt(message.body)), {
        type: "request",
        reference: request.reference,
        kind: "transaction",
        expiresAt: new Date(request.expires_at).toISOString(),
      });
      const vapid = (await s.server.ctx.database.db.selectFrom("push_vapid_keys").selectAll().execute())[0];
      assert.ok(vapid !== undefined);
      const claims = verifyVapid(String(message.headers.authorization), vapid.public_key);
      assert.equal(claims.aud, new URL(service.url).origin);
      assert.equal(claims.sub, "mailto:no-reply@localhost");
      assert.ok(Number(claims.exp) * 1000 > Date.now());
      // The private key is sealed: the row holds a ciphertext, not the key.
      assert.match(vapid.private_key_enc, /^v1:/);
    });

    test("one VAPID key pair for the installation, given to every enrolled app", async () => {
      const first = await enrolledDevice(s);
      const second = await enrolledDevice(s);
      const rows = await s.server.ctx.database.db.selectFrom("push_vapid_keys").selectAll().execute();
      assert.equal(rows.length, 1);
      const keys = await Promise.all(
        [first, second].map((d) =>
          d.phone.call("PUT", "/app/v1/web-push", "web push: register", { body: service.subscription("/x") }),
        ),
      );
      for (const k of keys) assert.equal(k.body.vapidPublicKey, rows[0]?.public_key);
    });

    test("PUT /app/v1/web-push replaces the subscription; a device without one gets no message", async () => {
      const { phone, device: row } = await enrolledDevice(s);
      const before = service.messages.length;
      assert.equal(
        await notifyDevice(s.server.ctx, row, await insertPendingRequest(s.server.ctx, row)),
        undefined,
      );
      assert.equal(service.messages.length, before);
      const put = await phone.call("PUT", "/app/v1/web-push", "web push: register", {
        body: service.subscription("/new"),
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const fresh = await findBySerial(s.server.ctx.database.db, phone.serial);
      assert.ok(fresh !== undefined);
      assert.equal(
        await notifyDevice(s.server.ctx, fresh, await insertPendingRequest(s.server.ctx, fresh)),
        "delivered",
      );
      assert.equal(service.messages.at(-1)?.path, "/new");
    });

    test("a subscription the push service says is gone (410) is forgotten; a dead service fails quietly", async () => {
      const { device: row, phone } = await device();
      service.status = 410;
      assert.equal(
        await notifyDevice(s.server.ctx, row, await insertPendingRequest(s.server.ctx, row)),
        "gone",
      );
      service.status = 201;
      const after = await findBySerial(s.server.ctx.database.db, phone.serial);
      assert.ok(after !== undefined);
      assert.equal(openDeviceMaterial(s.server.ctx, after).webPush, undefined);
      assert.equal(openDeviceMaterial(s.server.ctx, after).publicKey, phone.publicKey);
      const count = service.messages.length;
      assert.equal(
        await notifyDevice(s.server.ctx, after, await insertPendingRequest(s.server.ctx, after)),
        undefined,
      );
      assert.equal(service.messages.length, count);

      const dead = await new TestPushService().start();
      await dead.close();
      const put = await phone.call("PUT", "/app/v1/web-push", "web push: register", {
        body: dead.subscription(),
      });
      assert.equal(put.status, 200);
      const moved = await findBySerial(s.server.ctx.database.db, phone.serial);
      assert.ok(moved !== undefined);
      assert.equal(
        await notifyDevice(s.server.ctx, moved, await insertPendingRequest(s.server.ctx, moved)),
        "failed",
      );
    });
  });

  suite(`Web Push endpoints under the default address policy (${backend})`, () => {
    let s: TestServer;
    let service: TestPushService;
    before(async () => {
      s = await startTestServer(backend);
      service = await new TestPushService().start();
    });
    after(async () => {
      await service.close();
      await s.close();
    });

    test("loopback, private, local-name and plain-http endpoints are refused, naming the field", async () => {
      const { phone } = await enrolledDevice(s);
      const keys = service.subscription().keys;
      for (const [endpoint, why] of [
        [service.subscription().endpoint, /not public/],
        ["https://10.1.2.3/push", /not public/],
        ["https://[::1]/push", /not public/],
        ["https://localhost/push", /local name/],
        ["https://intranet/push", /local name/],
        ["http://push.example.com/push", /only https/],
        ["ftp://push.example.com/push", /only http/],
        ["https://user:pw@push.example.com/push", /credentials/],
        ["not a url", /not a URL/],
      ] as const) {
        const put = await phone.call("PUT", "/app/v1/web-push", "web push: refused endpoint", {
          body: { endpoint, keys },
        });
        assert.equal(put.body.errorCode, ApiReturnCode.InvalidDeviceConfig, endpoint);
        assert.equal(put.body.field, "body.endpoint", endpoint);
        assert.match(put.body.errorMessage, why, endpoint);
      }
      const badKey = await phone.call("PUT", "/app/v1/web-push", "web push: refused key", {
        body: { endpoint: "https://push.example.com/x", keys: { ...keys, p256dh: "A".repeat(87) } },
      });
      assert.equal(badKey.body.field, "body.keys.p256dh");
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", { apiKey, body: { username: "bob" }, scenario: "web push: setup" });
      const link = await s.api("POST", "/v1/users/bob/push-enrolments", {
        apiKey,
        scenario: "web push: link",
      });
      const bobsPhone = new TestPushApp(s.url, () => s.clock.now());
      const url = String(link.body.enrolmentUrl);
      const refused = await bobsPhone.enrol(url, "web push: enrol refused", {
        webPush: service.subscription(),
      });
      assert.equal(refused.body.errorCode, ApiReturnCode.InvalidDeviceConfig);
      assert.equal(refused.body.field, "body.webPush.endpoint");
      assert.equal(
        (await bobsPhone.enrol(url, "web push: enrol")).status,
        201,
        "the refusal left the link unspent",
      );
    });

    test("an endpoint whose name resolves to a private address is not posted to (checked at connect time)", async (t) => {
      const { phone } = await enrolledDevice(s);
      const port = new URL(service.url).port;
      const put = await phone.call("PUT", "/app/v1/web-push", "web push: register", {
        body: { ...service.subscription(), endpoint: `https://push.example.com:${port}/push` },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      // The name resolves to loopback, as a rebinding attacker's DNS would answer: no lookup leaves.
      const original = outboundDns.resolve;
      outboundDns.resolve = async () => [{ address: "127.0.0.1", family: 4 }];
      t.after(() => {
        outboundDns.resolve = original;
      });
      const row = await findBySerial(s.server.ctx.database.db, phone.serial);
      assert.ok(row !== undefined);
      const count = service.messages.length;
      assert.equal(
        await notifyDevice(s.server.ctx, row, await insertPendingRequest(s.server.ctx, row)),
        "failed",
      );
      assert.equal(service.messages.length, count);
    });
  });
}
