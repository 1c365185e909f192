import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { waitingCount } from "../src/push/device-hub.ts";
import { notifyDevice } from "../src/push/notify-device.ts";
import { openEventStream } from "./helpers/event-stream.ts";
import { until } from "./helpers/link.ts";
import { insertPendingRequest } from "./helpers/push-app.ts";
import { enrolledDevice } from "./helpers/push-device.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

for (const backend of backends) {
  suite(`push app event stream (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // A short idle timeout makes the heartbeat (at most half of it) observable within the test.
      s = await startTestServer(backend, { flags: { "http.idleTimeoutMs": 1000 } });
    });
    after(() => s.close());

    const stream = (phone: Awaited<ReturnType<typeof enrolledDevice>>["phone"]) =>
      openEventStream(`${s.url}/app/v1/events`, phone.headers("GET", "/app/v1/events", ""));

    test("pending requests on connect, then each new one once, with heartbeats", async () => {
      const { phone, device } = await enrolledDevice(s);
      const waiting = await insertPendingRequest(s.server.ctx, device);
      const events = await stream(phone);
      assert.equal(events.status, 200);
      assert.match(events.contentType, /^text\/event-stream/);
      await until(() => events.events.length === 1, "the pending request");
      const first = JSON.parse(events.events[0]?.data ?? "{}") as Record<string, unknown>;
      assert.equal(events.events[0]?.event, "request");
      assert.equal(first.reference, waiting.reference);
      assert.equal(first.expiresAt, new Date(waiting.expires_at).toISOString());
      const next = await insertPendingRequest(s.server.ctx, device, { kind: "sign-in" });
      await notifyDevice(s.server.ctx, device, next);
      await until(() => events.events.length === 2, "the new request");
      const second = JSON.parse(events.events[1]?.data ?? "{}") as Record<string, unknown>;
      assert.equal(second.reference, next.reference);
      // The number to match (42) is what the user types from the sign-in screen, so the app must
      // never receive it. Compare values, not text: a random reference can contain "42".
      const values = (v: unknown): unknown[] =>
        v !== null && typeof v === "object" ? Object.values(v).flatMap(values) : [v];
      assert.deepEqual(
        values(second).filter((v) => v === 42 || v === "42"),
        [],
        "no number to match",
      );
      await until(() => events.comments.includes("heartbeat"), "a heartbeat");
      assert.equal(events.events.length, 2, "each request once");
      events.close();
      await until(() => waitingCount(s.server.ctx, device.id) === 0, "the stream's slot to be given back");
    });

    test("disabling or deleting the device ends its open streams and gives their slots back", async () => {
      for (const action of ["disable", "delete"] as const) {
        const { apiKey, phone, device } = await enrolledDevice(s);
        const events = await stream(phone);
        assert.equal(events.status, 200);
        await until(() => waitingCount(s.server.ctx, device.id) === 1, "the stream to wait");
        // An administrator takes a lost phone out of service: its signature no longer opens a
        // stream, and the one it holds must not keep delivering what this device is asked.
        const r =
          action === "disable"
            ? await s.api("POST", `/v1/authenticators/${phone.serial}/disable`, {
                apiKey,
                scenario: "push events: device disabled",
              })
            : await s.api("DELETE", `/v1/authenticators/${phone.serial}`, {
                apiKey,
                scenario: "push events: device deleted",
              });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        await events.ended;
        assert.equal(waitingCount(s.server.ctx, device.id), 0, action);
      }
    });

    test("a device holds at most push.maxStreamsPerDevice streams and long polls; another is RateLimited", async () => {
      const { phone, device } = await enrolledDevice(s);
      const open = [await stream(phone), await stream(phone)];
      await until(() => waitingCount(s.server.ctx, device.id) === 2, "two streams");
      const third = await phone.call("GET", "/app/v1/events", "push events: over the cap");
      assert.equal(third.status, 429);
      assert.equal(third.body.errorCode, TesseraApiCode.RateLimited);
      assert.ok(Number(third.headers.get("retry-after")) >= 1);
      const poll = await phone.call(
        "GET",
        "/app/v1/requests?waitSeconds=5",
        "push events: long poll over the cap",
      );
      assert.equal(poll.body.errorCode, TesseraApiCode.RateLimited);
      open[0]?.close();
      await until(() => waitingCount(s.server.ctx, device.id) === 1, "a slot to free");
      const again = await stream(phone);
      assert.equal(again.status, 200);
      again.close();
      open[1]?.close();
    });

    test("a stream with a replayed or foreign signature is refused like any request", async () => {
      const { phone } = await enrolledDevice(s);
      const headers = phone.headers("GET", "/app/v1/events", "");
      const first = await openEventStream(`${s.url}/app/v1/events`, headers);
      assert.equal(first.status, 200);
      first.close();
      const replay = await phone.call("GET", "/app/v1/events", "push events: replay", { headers });
      assert.equal(replay.body.errorCode, TesseraApiCode.AppRequestNotAuthenticated);
    });
  });

  suite(`push app streams at shutdown (${backend})`, () => {
    test("closing the server ends open streams and long polls cleanly", async () => {
      const s = await startTestServer(backend);
      let closed = false;
      try {
        const { phone, device } = await enrolledDevice(s);
        const events = await openEventStream(
          `${s.url}/app/v1/events`,
          phone.headers("GET", "/app/v1/events", ""),
        );
        const poll = phone.call("GET", "/app/v1/requests?waitSeconds=30", "push events: poll at shutdown");
        await until(() => waitingCount(s.server.ctx, device.id) === 2, "a stream and a long poll");
        // Without the shutdown hook the close would wait out the 30 s long poll and the stream forever.
        const started = Date.now();
        await s.close();
        closed = true;
        assert.ok(Date.now() - started < 10_000, `closing took ${Date.now() - started} ms`);
        await events.ended;
        const answered = await poll;
        assert.equal(answered.status, 200);
        assert.deepEqual(answered.body.requests, []);
      } finally {
        if (!closed) await s.close();
      }
    });
  });
}
