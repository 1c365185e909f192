import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { apiRequest } from "./helpers/api-client.ts";
import { openEventStream } from "./helpers/event-stream.ts";
import { until } from "./helpers/link.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { TestPushApp } from "./helpers/push-app.ts";

/** The app protocol on two `tessera start` processes sharing one PostgreSQL database. */
suite("push devices across two server processes", () => {
  let pair: ProcessPair;
  before(async () => {
    pair = await startProcessPair("push-pair", "push two processes: setup");
  });
  after(() => pair.close());

  const admin = (method: string, path: string, body: unknown, scenario: string) =>
    apiRequest(`${pair.a.url}${path}`, {
      method,
      scenario,
      headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const link = async (username: string) => {
    await admin("POST", "/v1/users", { username }, "push two processes: user");
    const created = await admin(
      "POST",
      `/v1/users/${username}/push-enrolments`,
      {},
      "push two processes: link",
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return new URL(String(created.body.enrolmentUrl)).pathname;
  };

  test("20 concurrent enrolments with one code, half on each process: one device", async () => {
    const path = await link("alice");
    const phones = Array.from(
      { length: 20 },
      (_, i) => new TestPushApp(i % 2 === 0 ? pair.a.url : pair.b.url, Date.now),
    );
    const results = await Promise.all(
      phones.map((p, i) =>
        p.enrol(`${i % 2 === 0 ? pair.a.url : pair.b.url}${path}`, "push two processes: enrol burst"),
      ),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    for (const r of results.filter((r) => r.status !== 201))
      assert.equal(r.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);
  });

  test("one signed request sent 10 times to each process is served once", async () => {
    const path = await link("bob");
    const phone = new TestPushApp(pair.a.url, Date.now);
    assert.equal((await phone.enrol(`${pair.a.url}${path}`, "push two processes: enrol")).status, 201);
    const headers = phone.headers("GET", "/app/v1/requests", "");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        apiRequest(`${i % 2 === 0 ? pair.a.url : pair.b.url}/app/v1/requests`, {
          scenario: "push two processes: replay burst",
          headers,
        }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    for (const r of results.filter((r) => r.status !== 200))
      assert.equal(r.body.errorCode, TesseraApiCode.AppRequestNotAuthenticated);
  });

  test("a sign-in push created on process A reaches the device streaming and long-polling on process B", async () => {
    const path = await link("carol");
    const phone = new TestPushApp(pair.b.url, Date.now);
    assert.equal((await phone.enrol(`${pair.b.url}${path}`, "push two processes: enrol")).status, 201);
    const events = await openEventStream(
      `${pair.b.url}/app/v1/events`,
      phone.headers("GET", "/app/v1/events", ""),
    );
    assert.equal(events.status, 200);
    const polled = phone.call("GET", "/app/v1/requests?waitSeconds=30", "push two processes: long poll");
    // The stream's first comment line says it is open; the long poll is in flight.
    await until(() => events.comments.length > 0, "the stream to open");
    const push = await admin(
      "POST",
      "/v1/auth/push",
      { username: "carol" },
      "push two processes: sign-in push",
    );
    assert.equal(push.status, 201, JSON.stringify(push.body));
    const reference = String(push.body.reference);
    await until(() => events.events.some((e) => e.data.includes(reference)), "the request on B's stream");
    const answered = await polled;
    assert.deepEqual(
      (answered.body.requests as { reference: string }[]).map((r) => r.reference),
      [reference],
    );
    events.close();
  });
});
