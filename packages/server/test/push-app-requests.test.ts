import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { approvalPayload } from "../src/approvals/approval-payload.ts";
import { waitingCount } from "../src/push/device-hub.ts";
import { notifyDevice } from "../src/push/notify-device.ts";
import { updateTenant } from "../src/tenants/tenant-store.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { until } from "./helpers/link.ts";
import { insertPendingRequest } from "./helpers/push-app.ts";
import { enrolledDevice } from "./helpers/push-device.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const NOT_AUTHENTICATED = TesseraApiCode.AppRequestNotAuthenticated;

for (const backend of backends) {
  suite(`push app requests: authentication (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("the exact same signed request twice: the second is a replay, refused naming Tessera-Timestamp", async () => {
      const { phone } = await enrolledDevice(s);
      const headers = phone.headers("GET", "/app/v1/requests", "");
      const first = await phone.call("GET", "/app/v1/requests", "push auth: first", { headers });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const replay = await phone.call("GET", "/app/v1/requests", "push auth: replay", { headers });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.errorCode, NOT_AUTHENTICATED);
      assert.equal(replay.body.field, "headers.tessera-timestamp");
      // An older (but in-window) timestamp, signed properly, is refused as well: they only grow.
      const older = phone.headers(
        "GET",
        "/app/v1/requests",
        "",
        String(Number(headers["tessera-timestamp"]) - 1),
      );
      const earlier = await phone.call("GET", "/app/v1/requests", "push auth: older", { headers: older });
      assert.equal(earlier.body.errorCode, NOT_AUTHENTICATED);
    });

    test("20 concurrent copies of one signed request: exactly one is served", async () => {
      const { phone } = await enrolledDevice(s);
      const headers = phone.headers("GET", "/app/v1/requests", "");
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          phone.call("GET", "/app/v1/requests", "push auth: replay burst", { headers }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1);
      for (const r of results.filter((r) => r.status !== 200))
        assert.equal(r.body.errorCode, NOT_AUTHENTICATED);
    });

    test("a signature over another path, query, method or body does not verify", async () => {
      const { phone } = await enrolledDevice(s);
      const cases: [string, string, Record<string, string>, string?][] = [
        ["GET", "/app/v1/requests?waitSeconds=0", phone.headers("GET", "/app/v1/requests", "")],
        ["GET", "/app/v1/requests", phone.headers("POST", "/app/v1/requests", "")],
        [
          "PUT",
          "/app/v1/web-push",
          phone.headers("PUT", "/app/v1/web-push", '{"endpoint":"https://push.example/a"}'),
          '{"endpoint":"https://push.example/b"}',
        ],
      ];
      for (const [method, path, headers, body] of cases) {
        const response = await apiRequest(`${s.url}${path}`, {
          method,
          scenario: "push auth: tampered",
          headers,
          ...(body === undefined ? {} : { body }),
        });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.equal(response.body.errorCode, NOT_AUTHENTICATED);
        assert.equal(response.body.field, "headers.tessera-signature");
      }
    });

    test("each missing or malformed header is named; timestamps out of the window or absurd are refused", async () => {
      const { phone } = await enrolledDevice(s);
      for (const name of ["tessera-device", "tessera-timestamp", "tessera-signature"]) {
        const headers = phone.headers("GET", "/app/v1/requests", "");
        delete headers[name];
        const response = await apiRequest(`${s.url}/app/v1/requests`, {
          scenario: "push auth: missing",
          headers,
        });
        assert.equal(response.status, 401);
        assert.equal(response.body.field, `headers.${name}`);
        assert.match(
          response.body.errorMessage,
          new RegExp(
            name
              .replace(/(^|-)t/g, "$1T")
              .replace("-d", "-D")
              .replace("-s", "-S"),
            "i",
          ),
        );
      }
      const now = s.clock.now();
      for (const timestamp of [
        String(now + 5 * 60_000 + 1),
        String(now - 5 * 60_000 - 1),
        "-1",
        String(2 ** 53),
        String(now + 0.5),
        `${now}`.repeat(50),
        "1e12",
        "abc",
      ]) {
        const headers = phone.headers("GET", "/app/v1/requests", "", timestamp);
        const response = await apiRequest(`${s.url}/app/v1/requests`, {
          scenario: "push auth: timestamp",
          headers,
        });
        assert.equal(response.status, 401, timestamp);
        assert.equal(response.body.field, "headers.tessera-timestamp", timestamp);
      }
      // The window is ±5 minutes inclusive.
      const edge = phone.headers("GET", "/app/v1/requests", "", String(now + 5 * 60_000));
      assert.equal(
        (await apiRequest(`${s.url}/app/v1/requests`, { scenario: "push auth: edge", headers: edge })).status,
        200,
      );
      for (const serial of ["NOSUCHDEVICE", "../x", "x".repeat(500)]) {
        const headers = { ...phone.headers("GET", "/app/v1/requests", ""), "tessera-device": serial };
        const response = await apiRequest(`${s.url}/app/v1/requests`, {
          scenario: "push auth: device",
          headers,
        });
        assert.equal(response.body.field, "headers.tessera-device");
      }
    });

    test("another type's serial, a disabled, unassigned or deleted device, and a user who cannot sign in are refused", async () => {
      const { phone, apiKey, device } = await enrolledDevice(s);
      const totp = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp" },
        scenario: "push auth: totp",
      });
      const totpSerial = (totp.body.authenticator as { serial: string }).serial;
      const asTotp = await apiRequest(`${s.url}/app/v1/requests`, {
        scenario: "push auth: totp serial",
        headers: { ...phone.headers("GET", "/app/v1/requests", ""), "tessera-device": totpSerial },
      });
      assert.equal(asTotp.body.errorCode, NOT_AUTHENTICATED);

      const admin = (method: string, path: string, body?: unknown) =>
        s.api(method, path, {
          apiKey,
          ...(body === undefined ? {} : { body }),
          scenario: "push auth: admin",
        });
      await admin("POST", `/v1/authenticators/${phone.serial}/disable`);
      const disabled = await phone.call("GET", "/app/v1/requests", "push auth: disabled device");
      assert.equal(disabled.status, 403);
      assert.equal(disabled.body.errorCode, ApiReturnCode.DeviceDiabled);
      await admin("POST", `/v1/authenticators/${phone.serial}/enable`);
      assert.equal((await phone.call("GET", "/app/v1/requests", "push auth: enabled again")).status, 200);

      await admin("PATCH", "/v1/users/alice", { disabled: true });
      const userOff = await phone.call("GET", "/app/v1/requests", "push auth: user disabled");
      assert.equal(userOff.status, 403);
      assert.equal(userOff.body.errorCode, ApiReturnCode.PartnerUserLoginDisabled);
      await admin("PATCH", "/v1/users/alice", { disabled: false });
      assert.equal((await phone.call("GET", "/app/v1/requests", "push auth: user enabled")).status, 200);
      await admin("PATCH", "/v1/users/alice", { expiresAt: new Date(s.clock.now()).toISOString() });
      const expired = await phone.call("GET", "/app/v1/requests", "push auth: user expired");
      assert.equal(expired.body.errorCode, ApiReturnCode.AccountExpired);
      await admin("PATCH", "/v1/users/alice", { expiresAt: null });

      // A disabled tenant's devices are refused like its API keys.
      await updateTenant(s.server.ctx.database.db, device.tenant_id, { disabled: true }, s.clock.now());
      const tenantOff = await phone.call("GET", "/app/v1/requests", "push auth: tenant disabled");
      assert.equal(tenantOff.status, 401);
      assert.equal(tenantOff.body.errorCode, ApiReturnCode.PartnerLoginFailed);
      await updateTenant(s.server.ctx.database.db, device.tenant_id, { disabled: false }, s.clock.now());
      assert.equal((await phone.call("GET", "/app/v1/requests", "push auth: tenant enabled")).status, 200);

      await admin("POST", `/v1/authenticators/${phone.serial}/unassign`);
      const unassigned = await phone.call("GET", "/app/v1/requests", "push auth: unassigned");
      assert.equal(unassigned.body.errorCode, NOT_AUTHENTICATED);

      await admin("DELETE", `/v1/authenticators/${phone.serial}`);
      const deleted = await phone.call("GET", "/app/v1/requests", "push auth: deleted device");
      assert.equal(deleted.status, 401);
      assert.equal(deleted.body.errorCode, NOT_AUTHENTICATED);
      assert.equal(deleted.body.field, "headers.tessera-device");
    });
  });

  suite(`push app requests: long poll and answers (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("pending requests are listed without the number to match; expired and other devices' are not", async () => {
      const { phone, device } = await enrolledDevice(s);
      const other = await enrolledDevice(s);
      const signIn = await insertPendingRequest(s.server.ctx, device, { kind: "sign-in" });
      const transaction = await insertPendingRequest(s.server.ctx, device, {
        details: { amount: "9.99", currency: "EUR", payee: "Café" },
      });
      await insertPendingRequest(s.server.ctx, device, { ttlMs: 1 });
      await insertPendingRequest(s.server.ctx, other.device);
      s.clock.advance(1);
      const listed = await phone.call("GET", "/app/v1/requests", "push requests: list");
      const items = listed.body.requests as Record<string, unknown>[];
      assert.deepEqual(
        items.map((i) => i.reference),
        [signIn.reference, transaction.reference],
      );
      assert.equal(JSON.stringify(listed.body).includes("42"), false, "the number to match is never sent");
      assert.equal(items[0]?.kind, "sign-in");
      assert.equal(items[0]?.details, null);
      assert.deepEqual(items[1]?.details, { amount: "9.99", currency: "EUR", payee: "Café" });
      assert.deepEqual(items[1]?.context, { app: "Test bank", sourceIp: "203.0.113.7" });
      assert.equal(items[1]?.expiresAt, new Date(transaction.expires_at).toISOString());
    });

    test("a long poll waits until a request arrives and returns it at once", async () => {
      const { phone, device } = await enrolledDevice(s);
      const polled = phone.call("GET", "/app/v1/requests?waitSeconds=30", "push requests: long poll");
      await until(() => waitingCount(s.server.ctx, device.id) === 1, "the long poll to wait");
      const row = await insertPendingRequest(s.server.ctx, device);
      await notifyDevice(s.server.ctx, device, row);
      const answered = await polled;
      assert.equal(answered.status, 200);
      assert.deepEqual(
        (answered.body.requests as { reference: string }[]).map((r) => r.reference),
        [row.reference],
      );
      await until(() => waitingCount(s.server.ctx, device.id) === 0, "the slot to be given back");
    });

    test("long polls one after another on one kept-alive connection leave nothing behind on its socket", async () => {
      const { phone, device } = await enrolledDevice(s);
      const sockets = new Set<import("node:net").Socket>();
      const track = (request: import("node:http").IncomingMessage) => sockets.add(request.socket);
      s.server.app.server.on("request", track);
      const closeListeners = () =>
        Math.max(0, ...[...sockets].map((socket) => socket.listenerCount("close")));
      const counts: number[] = [];
      try {
        // An app polls all day on one connection: each poll must give back what it took.
        for (let i = 0; i < 12; i++) {
          const polled = phone.call("GET", "/app/v1/requests?waitSeconds=30", "push requests: long poll");
          await until(() => waitingCount(s.server.ctx, device.id) === 1, "the long poll to wait");
          const row = await insertPendingRequest(s.server.ctx, device);
          await notifyDevice(s.server.ctx, device, row);
          assert.equal((await polled).status, 200);
          await s.server.ctx.database.db
            .updateTable("approval_requests")
            .set({ status: "rejected", answered_at: s.clock.now() })
            .where("id", "=", row.id)
            .execute();
          counts.push(closeListeners());
        }
      } finally {
        s.server.app.server.off("request", track);
      }
      assert.ok(sockets.size >= 1);
      assert.equal(counts.at(-1), counts[0], `close listeners per poll: ${counts.join(",")}`);
    });

    test("a long poll notices a request another process wrote (no notification here) by looking at the table", async () => {
      const { phone, device } = await enrolledDevice(s);
      const polled = phone.call("GET", "/app/v1/requests?waitSeconds=30", "push requests: long poll table");
      await until(() => waitingCount(s.server.ctx, device.id) === 1, "the long poll to wait");
      const row = await insertPendingRequest(s.server.ctx, device);
      const answered = await polled;
      assert.deepEqual(
        (answered.body.requests as { reference: string }[]).map((r) => r.reference),
        [row.reference],
      );
    });

    test("a long poll with nothing to deliver ends empty after waitSeconds; waitSeconds out of 0..30 is refused", async () => {
      const { phone } = await enrolledDevice(s);
      const empty = await phone.call(
        "GET",
        "/app/v1/requests?waitSeconds=1",
        "push requests: long poll empty",
      );
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body.requests, []);
      for (const wait of ["31", "-1", "1.5", String(2 ** 31), String(2 ** 53), "x", "9".repeat(400)]) {
        const refused = await phone.call(
          "GET",
          `/app/v1/requests?waitSeconds=${wait}`,
          "push requests: bad wait",
        );
        assert.equal(refused.status, 400, wait);
        assert.equal(refused.body.field, "querystring.waitSeconds", wait);
      }
    });

    test("answers: another device's or an unknown reference is UpdateTransactionReferenceCodeNotFound; bad fields are named", async () => {
      const { phone } = await enrolledDevice(s);
      const other = await enrolledDevice(s);
      const foreign = await insertPendingRequest(s.server.ctx, other.device);
      for (const reference of [foreign.reference, "NOSUCHREFERENCE"]) {
        const answer = await phone.call(
          "POST",
          `/app/v1/requests/${reference}/answer`,
          "push answer: not found",
          {
            body: { decision: "approved", approvalCode: "x" },
          },
        );
        assert.equal(answer.status, 404);
        assert.equal(answer.body.errorCode, ApiReturnCode.UpdateTransactionReferenceCodeNotFound);
      }
      const cases: [Record<string, unknown>, string][] = [
        [{ decision: "maybe", approvalCode: "x" }, "body.decision"],
        [{ decision: "approved", approvalCode: "x", number: 9 }, "body.number"],
        [{ decision: "approved", approvalCode: "x", number: 100 }, "body.number"],
        [{ decision: "approved", approvalCode: "x", number: 42.5 }, "body.number"],
        [{ decision: "approved", approvalCode: "x", number: 2 ** 53 }, "body.number"],
        [{ decision: "approved", approvalCode: "x".repeat(201) }, "body.approvalCode"],
        [{ decision: "approved" }, "body.approvalCode"],
      ];
      for (const [body, field] of cases) {
        const answer = await phone.call(
          "POST",
          `/app/v1/requests/${foreign.reference}/answer`,
          "push answer: bad",
          { body },
        );
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body.field, field, JSON.stringify(answer.body));
      }
    });

    test("an app answers a transaction through its signed channel: the approval covers the details it was shown", async () => {
      const { phone, apiKey } = await enrolledDevice(s);
      const details = { amount: "120.00", currency: "EUR", payee: "ACME Ltd" };
      const waiting = phone.call("GET", "/app/v1/requests?waitSeconds=30", "push answer: wait");
      const created = await s.api("POST", "/v1/approvals", {
        apiKey,
        body: { username: "alice", details },
        scenario: "push answer: create",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const reference = String(created.body.reference);
      const listed = (await waiting).body.requests as {
        reference: string;
        details: Record<string, unknown>;
      }[];
      assert.deepEqual(
        listed.map((r) => r.reference),
        [reference],
      );
      const shown = listed[0]?.details ?? {};
      const code = (decision: "approved" | "rejected", seen: Record<string, unknown>) =>
        phone.sign(
          approvalPayload({ reference, kind: "transaction", decision, number: null, details: seen }),
        );
      const tampered = await phone.call(
        "POST",
        `/app/v1/requests/${reference}/answer`,
        "push answer: other details",
        {
          body: { decision: "approved", approvalCode: code("approved", { ...shown, payee: "Mallory" }) },
        },
      );
      assert.equal(tampered.body.errorCode, ApiReturnCode.UpdateTransactionApprovalCodeMissmatch);
      const fraudApproval = await phone.call(
        "POST",
        `/app/v1/requests/${reference}/answer`,
        "push answer: fraud approval",
        {
          body: { decision: "approved", approvalCode: code("approved", shown), fraud: true },
        },
      );
      assert.equal(fraudApproval.body.field, "body.fraud");
      const answered = await phone.call(
        "POST",
        `/app/v1/requests/${reference}/answer`,
        "push answer: approve",
        {
          body: { decision: "approved", approvalCode: code("approved", shown) },
        },
      );
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      assert.deepEqual(
        { reference: answered.body.reference, status: answered.body.status },
        { reference, status: "approved" },
      );
      const again = await phone.call("POST", `/app/v1/requests/${reference}/answer`, "push answer: again", {
        body: { decision: "rejected", approvalCode: code("rejected", shown) },
      });
      assert.equal(again.body.errorCode, ApiReturnCode.UpdateTransactionStatusInvalid);
      const read = await s.api("GET", `/v1/approvals/${reference}`, {
        apiKey,
        scenario: "push answer: read",
      });
      assert.equal(read.body.status, "approved");
      assert.deepEqual(
        (await phone.call("GET", "/app/v1/requests", "push answer: none left")).body.requests,
        [],
      );
    });
  });
}
