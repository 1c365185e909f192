import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import { deliverDueWebhooks } from "../src/link/webhooks/deliver-webhooks.ts";
import { verifySignature } from "../src/link/webhooks/webhook-signature.ts";
import {
  connect,
  endsWith,
  type LinkSetup,
  loopbackWebhooks,
  startLinkServer,
  until,
  waitFor,
  webhookReceiver,
} from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/** Live status: server-sent events and signed webhooks with retries and a delivery log. */
async function readEvents(url: string, apiKey: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}`, ...headers } });
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.includes("event:"))
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return {
        id: field("id"),
        event: field("event"),
        data: JSON.parse(field("data") ?? "null") as { code?: number },
      };
    });
}

for (const backend of backends) {
  suite(`Link live status (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      link = await startLinkServer(backend);
    });
    after(() => link.server.close());

    test("server-sent events stream the timeline, resume after Last-Event-ID and end with the job", async () => {
      const scenario = "link: events";
      const { jobId } = await connect(link, "user_token", scenario);
      const url = `${link.server.url}/v1/link/jobs/${jobId}/events`;
      const stream = readEvents(url, link.apiKey);
      await waitFor(link, jobId, scenario, endsWith(S.Waiting));
      await link.server.api("POST", `/v1/link/jobs/${jobId}/twofa`, {
        apiKey: link.apiKey,
        body: { twofa: { token: "123456" } },
        scenario,
      });
      const events = await stream;
      const statuses = events.filter((e) => e.event === "status");
      assert.deepEqual(
        statuses.map((e) => e.data.code),
        [S.Register, S.Starting, S.Waiting, S.TokenReceived, S.Running, S.Finish],
      );
      assert.deepEqual(
        statuses.map((e) => e.id),
        ["1", "2", "3", "4", "5", "6"],
      );
      assert.equal(events.at(-1)?.event, "end");
      const resumed = await readEvents(url, link.apiKey, { "last-event-id": "4" });
      assert.deepEqual(
        resumed.filter((e) => e.event === "status").map((e) => e.data.code),
        [S.Running, S.Finish],
      );
      const denied = await fetch(url);
      assert.equal(denied.status, 401);
      const audit = await link.server.api(
        "GET",
        "/v1/audit?operation=GET%20%2Fv1%2Flink%2Fjobs%2F%3Aid%2Fevents",
        {
          apiKey: link.apiKey,
          scenario,
        },
      );
      const streams = audit.body.events as { subject: string; resultCode: number }[];
      assert.equal(streams.length, 2, "each opened stream is in the audit trail");
      assert.ok(streams.every((e) => e.subject === `job:${jobId}` && e.resultCode === 0));
    });

    test("webhooks: signed deliveries, retried with backoff after a failure, logged", async () => {
      // The receiver listens on loopback, which the production default refuses as a webhook target.
      const link = await startLinkServer(backend, loopbackWebhooks);
      const hook = await webhookReceiver([500]);
      try {
        const scenario = "link: webhooks";
        const registered = await link.server.api("POST", "/v1/link/webhooks", {
          apiKey: link.apiKey,
          body: { url: hook.url, events: ["job.status", "credential.created"] },
          scenario,
        });
        assert.equal(registered.status, 201);
        const secret = registered.body.secret as string;
        const webhookId = (registered.body.webhook as { id: string }).id;
        const { jobId, credentialId } = await connect(link, "user_no_accounts", scenario);
        await waitFor(link, jobId, scenario, endsWith(S.NoAccounts));
        await until(() => hook.received.length >= 2, "the first deliveries");
        const now = Math.floor(link.server.clock.now() / 1000);
        for (const delivery of hook.received) {
          const header = String(delivery.headers["tessera-signature"]);
          assert.ok(verifySignature(secret, header, delivery.body, now), "signed with the endpoint's secret");
          assert.equal(
            verifySignature(secret, header, `${delivery.body} `, now),
            false,
            "a changed body fails",
          );
          assert.equal(verifySignature("whsec_other", header, delivery.body, now), false);
        }
        const types = hook.received.map(
          (d) => JSON.parse(d.body) as { type: string; data: { code?: number; credentialId: string } },
        );
        assert.ok(types.some((e) => e.type === "credential.created" && e.data.credentialId === credentialId));
        const log = async () =>
          (
            await link.server.api("GET", `/v1/link/webhooks/${webhookId}/deliveries`, {
              apiKey: link.apiKey,
              scenario,
            })
          ).body.deliveries as {
            state: string;
            attempts: number;
            lastStatus: number | null;
            eventType: string;
            payload: { data: { code?: number } };
          }[];
        // The receiver has the body before the server has its answer and records the attempt:
        // wait for the record, never read it once.
        await until(
          async () => (await log()).some((d) => d.lastStatus === 500),
          "the failed attempt's record",
        );
        const failed = (await log()).find((d) => d.lastStatus === 500);
        assert.ok(failed, "the failed attempt is in the log");
        assert.equal(failed.state, "pending");
        assert.equal(failed.attempts, 1);
        const before = hook.received.length;
        link.server.clock.advance(29_000);
        assert.equal(
          await deliverDueWebhooks(link.server.server.ctx),
          0,
          "nothing is due before the backoff",
        );
        assert.equal(hook.received.length, before, "no retry before the backoff");
        link.server.clock.advance(1_000);
        link.server.server.ctx.link.nudge();
        await until(() => hook.received.length > before, "the retry");
        await until(async () => (await log()).every((d) => d.state !== "pending"), "the retry's record");
        const entries = await log();
        assert.ok(
          entries.every((d) => d.state === "delivered"),
          JSON.stringify(entries.map((d) => [d.state, d.attempts])),
        );
        assert.ok(entries.some((d) => d.attempts === 2));
        assert.ok(entries.some((d) => d.eventType === "job.status" && d.payload.data.code === S.NoAccounts));

        const removed = await link.server.api("DELETE", `/v1/link/webhooks/${webhookId}`, {
          apiKey: link.apiKey,
          scenario,
        });
        assert.equal(removed.body.errorCode, 0);
        const listed = await link.server.api("GET", "/v1/link/webhooks", { apiKey: link.apiKey, scenario });
        assert.deepEqual(listed.body.webhooks, []);
      } finally {
        hook.server.close();
        await link.server.close();
      }
    });

    test("by default webhook URLs must be http(s) on public addresses: loopback and private ones are refused", async () => {
      for (const url of [
        "ftp://example.com/x",
        "http://127.0.0.1:9/x",
        "http://[::1]/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/x",
        "http://[64:ff9b::a00:1]/x",
        "http://[2002:a00:1::1]/x",
        "http://198.18.0.1/x",
        "http://user:pw@example.com/",
      ]) {
        const response = await link.server.api("POST", "/v1/link/webhooks", {
          apiKey: link.apiKey,
          body: { url },
          scenario: "link: webhook address",
        });
        assert.equal(response.status, 400, url);
        assert.equal(response.body.errorCode, TesseraApiCode.WebhookAddressNotAllowed, url);
        assert.equal(response.body.field, "body.url");
      }
    });
  });
}
