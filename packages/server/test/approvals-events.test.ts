import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { finishApprovalRequest } from "../src/approvals/approval-store.ts";
import { ownerOf, SoftwareDevice } from "./helpers/approval-device.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const details = { amount: "99.00", currency: "CHF", payee: "Bergbahn AG" };

interface SseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/**
 * An open event stream: `next()` gives the next event (failing after 10 s rather than hanging),
 * `ended()` whether the server closed the stream.
 */
async function openStream(url: string, apiKey: string) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = (response.body ?? assert.fail("no body")).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let done = false;
  const fill = async () => {
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const chunk = await reader.read();
      if (chunk.done) done = true;
      else buffer += chunk.value;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async next(): Promise<SseEvent> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n").filter((l) => !l.startsWith(":"));
          if (lines.length === 0) continue;
          const field = (name: string) =>
            lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? "";
          return { event: field("event"), data: JSON.parse(field("data")) };
        }
        if (done) assert.fail("the stream ended");
        await fill();
      }
    },
    async ended(): Promise<boolean> {
      while (!done && buffer.replace(/^(:[^\n]*\n\n)+/, "") === "") await fill();
      return done && buffer.replace(/^(:[^\n]*\n\n)+/, "") === "";
    },
    close: () => controller.abort(),
  };
}

for (const backend of backends) {
  suite(`approval event streams (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let device: SoftwareDevice;
    before(async () => {
      s = await startTestServer(backend);
      const { tenant, apiKey: key } = await s.tenant();
      apiKey = key;
      await s.api("POST", "/v1/users", { apiKey, body: { username: "vera" }, scenario: "approvals: setup" });
      device = await new SoftwareDevice().enrol(s.server.ctx, await ownerOf(s.server.ctx, tenant.id, "vera"));
    });
    after(() => s.close());

    const create = async () => {
      const r = await s.api("POST", "/v1/approvals", {
        apiKey,
        body: { username: "vera", details },
        scenario: "approvals: events",
      });
      return { reference: String(r.body.reference) };
    };

    test("pending, then the answer, then end: the stream closes once the request is final", async () => {
      const { reference } = await create();
      const stream = await openStream(`${s.url}/v1/approvals/${reference}/events`, apiKey);
      const first = await stream.next();
      assert.equal(first.event, "status");
      assert.equal(first.data.status, "pending");
      assert.deepEqual(first.data.details, details);
      const answered = await s.api("POST", `/v1/approvals/${reference}/status`, {
        apiKey,
        body: { status: "approved", approvalCode: device.approve(reference, details) },
        scenario: "approvals: events",
      });
      assert.equal(answered.status, 200);
      const second = await stream.next();
      assert.equal(second.data.status, "approved");
      assert.equal(second.data.approvalCode, answered.body.approvalCode);
      assert.deepEqual((await stream.next()).event, "end");
      assert.equal(await stream.ended(), true);
    });

    test("an answer written by another process is seen at the next poll", async () => {
      const { reference } = await create();
      const stream = await openStream(`${s.url}/v1/approvals/${reference}/events`, apiKey);
      assert.equal((await stream.next()).data.status, "pending");
      // Straight into the table, as another server process would: nothing in this one is told.
      const row = await s.server.ctx.database.db
        .selectFrom("approval_requests")
        .select("id")
        .where("reference", "=", reference)
        .executeTakeFirstOrThrow();
      const code = device.approve(reference, details, "rejected");
      assert.ok(
        await finishApprovalRequest(
          s.server.ctx.database.db,
          row.id,
          { status: "rejected", approvalCode: code, fraud: true },
          s.clock.now(),
        ),
      );
      const next = await stream.next();
      assert.equal(next.data.status, "rejected");
      assert.equal(next.data.fraudReported, true);
      assert.equal((await stream.next()).event, "end");
      // The fraud report locks further requests to vera (sign-in-fraud-lock.ts); the next tests
      // need her, so an administrator clears it.
      const cleared = await s.api("DELETE", "/v1/users/vera/push-lock", {
        apiKey,
        scenario: "approvals: events",
      });
      assert.equal(cleared.body.cleared, true);
      assert.equal(await stream.ended(), true);
    });

    test("a request that expires ends its stream with expired", async () => {
      const { reference } = await create();
      const stream = await openStream(`${s.url}/v1/approvals/${reference}/events`, apiKey);
      assert.equal((await stream.next()).data.status, "pending");
      s.clock.advance(300_000);
      assert.equal((await stream.next()).data.status, "expired");
      const end = await stream.next();
      assert.deepEqual(end, { event: "end", data: { reference, status: "expired" } });
      assert.equal(await stream.ended(), true);
    });

    test("a final request's stream gives its state and ends at once; the stream is audited", async () => {
      const { reference } = await create();
      await s.api("POST", `/v1/approvals/${reference}/status`, {
        apiKey,
        body: { status: "rejected", approvalCode: device.approve(reference, details, "rejected") },
        scenario: "approvals: events",
      });
      const stream = await openStream(`${s.url}/v1/approvals/${reference}/events`, apiKey);
      assert.equal((await stream.next()).data.status, "rejected");
      assert.equal((await stream.next()).event, "end");
      assert.equal(await stream.ended(), true);
      const audited = await s.server.ctx.database.db
        .selectFrom("audit_events")
        .select("operation")
        .where("subject", "=", `approval:${reference}`)
        .where("operation", "=", "GET /v1/approvals/:reference/events")
        .execute();
      assert.equal(audited.length, 1);
    });
  });
}
