import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { enqueueEvent } from "../src/link/webhooks/webhook-outbox.ts";
import { outboundDns } from "../src/net/checked-lookup.ts";
import { type LinkSetup, loopbackWebhooks, startLinkServer, until, webhookReceiver } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Webhook SSRF defences end to end. No request ever leaves loopback: public addresses are only
 * registered (registration never connects) or answered by a fake resolver whose answer at
 * delivery time is loopback. The fake replaces the one module-level resolver for one test.
 */
const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const realResolve = outboundDns.resolve;

/** A fresh tenant on `link`, with one webhook at `url`; answers the webhook's id and the tenant's. */
async function register(link: LinkSetup, url: string, scenario: string) {
  const { tenant, apiKey } = await link.server.tenant();
  const response = await link.server.api("POST", "/v1/link/webhooks", { apiKey, body: { url }, scenario });
  return {
    response,
    apiKey,
    tenantId: tenant.id,
    id: (response.body.webhook as { id?: string } | undefined)?.id,
  };
}

/** Writes one event for the tenant into the outbox and wakes the worker that delivers it. */
async function emit(link: LinkSetup, tenantId: string) {
  const { ctx } = link.server.server;
  await enqueueEvent(ctx.database.db, tenantId, "credential.deleted", { credentialId: "c" }, ctx.clock.now());
  ctx.link.nudge();
}

interface Delivery {
  readonly state: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

async function deliveries(link: LinkSetup, apiKey: string, id: string, scenario: string) {
  const response = await link.server.api("GET", `/v1/link/webhooks/${id}/deliveries`, { apiKey, scenario });
  return response.body.deliveries as Delivery[];
}

/** The first delivery once it has been attempted. */
async function attempted(link: LinkSetup, apiKey: string, id: string, scenario: string) {
  let seen: Delivery | undefined;
  await until(async () => {
    seen = (await deliveries(link, apiKey, id, scenario))[0];
    return seen !== undefined && seen.attempts > 0;
  }, "the delivery attempt");
  return seen as Delivery;
}

for (const backend of backends) {
  suite(`Webhook address safety (${backend})`, () => {
    afterEach(() => {
      outboundDns.resolve = realResolve;
    });

    test("public IPv4 and IPv6 webhooks are accepted with the production defaults, without a lookup", async () => {
      const link = await startLinkServer(backend);
      const lookups: string[] = [];
      outboundDns.resolve = async (host) => {
        lookups.push(host);
        return [];
      };
      try {
        for (const url of [
          "https://1.1.1.1/hook",
          "https://8.8.8.8:8443/hook",
          "https://[2606:4700::1111]/h",
        ]) {
          const { response, apiKey, id } = await register(link, url, "link: public webhook");
          assert.equal(response.status, 201, JSON.stringify(response.body));
          // Removed at once: no event may ever be delivered off this machine.
          const removed = await link.server.api("DELETE", `/v1/link/webhooks/${id}`, {
            apiKey,
            scenario: "link: public webhook",
          });
          assert.equal(removed.body.errorCode, 0);
        }
        assert.deepEqual(lookups, [], "an IP literal is never looked up");
      } finally {
        await link.server.close();
      }
    });

    test("a name with one private address among public ones is refused at registration", async () => {
      const link = await startLinkServer(backend);
      outboundDns.resolve = async () => [v4("1.1.1.1"), v4("10.0.0.1")];
      try {
        const { response } = await register(link, "https://hooks.example/x", "link: webhook address");
        assert.equal(response.body.errorCode, TesseraApiCode.WebhookAddressNotAllowed);
        // The same sentence as for a name that does not exist: the private address is not told.
        assert.match(
          String(response.body.errorMessage),
          /hooks\.example does not resolve to a public address/,
        );
        assert.doesNotMatch(String(response.body.errorMessage), /10\.0\.0\.1/);
      } finally {
        await link.server.close();
      }
    });

    test("a delivery connects to the address its checked lookup answered, not to one resolved again", async () => {
      // Loopback receivers need private targets allowed. The resolver sends `localhost` to
      // 127.0.0.2; a second, unchecked resolution would reach the receiver on 127.0.0.1 instead.
      const link = await startLinkServer(backend, loopbackWebhooks);
      const checked = await webhookReceiver([], { host: "127.0.0.2" });
      const other = await webhookReceiver([], { port: checked.port });
      outboundDns.resolve = async () => [v4("127.0.0.2")];
      try {
        const { response, tenantId } = await register(
          link,
          `http://localhost:${checked.port}/hooks`,
          "link: webhook lookup",
        );
        assert.equal(response.status, 201);
        await emit(link, tenantId);
        await until(() => checked.received.length === 1, "the delivery to the checked address");
        assert.equal(other.received.length, 0);
      } finally {
        checked.server.close();
        other.server.close();
        await link.server.close();
      }
    });

    test("DNS rebinding: a host that was public at registration and is private at delivery is never called", async () => {
      const link = await startLinkServer(backend);
      const hook = await webhookReceiver([]);
      try {
        // Loopback first in the mixed answer: were the check ever broken, the socket would try the
        // loopback receiver (and the test fail) rather than a public address.
        for (const rebound of [[v4("127.0.0.1")], [v4("127.0.0.1"), v4("1.1.1.1")]]) {
          let calls = 0;
          outboundDns.resolve = async () => {
            calls += 1;
            return calls === 1 ? [v4("1.1.1.1")] : rebound;
          };
          const scenario = "link: webhook rebinding";
          const { response, apiKey, tenantId, id } = await register(
            link,
            `http://rebind.example:${hook.port}/hooks`,
            scenario,
          );
          assert.equal(response.status, 201);
          await emit(link, tenantId);
          const delivery = await attempted(link, apiKey, id as string, scenario);
          assert.equal(delivery.state, "failed", "an address refusal is not retried");
          assert.match(
            delivery.lastError ?? "",
            /^address refused: the host rebind\.example does not resolve to a public address$/,
          );
          assert.equal(delivery.lastStatus, null);
          assert.equal(calls, 2, "registration and the delivery's connect each resolved once");
        }
        assert.equal(hook.received.length, 0, "the loopback receiver never received a request");
      } finally {
        hook.server.close();
        await link.server.close();
      }
    });

    test("a redirect is never followed: a 3xx is a failed delivery, retried later", async () => {
      // Loopback receivers need private targets allowed.
      const link = await startLinkServer(backend, loopbackWebhooks);
      const target = await webhookReceiver([]);
      const hook = await webhookReceiver([302], { headers: { location: target.url } });
      try {
        const scenario = "link: webhook redirect";
        const { apiKey, tenantId, id } = await register(link, hook.url, scenario);
        await emit(link, tenantId);
        const delivery = await attempted(link, apiKey, id as string, scenario);
        assert.deepEqual(
          [delivery.state, delivery.lastStatus, delivery.lastError],
          ["pending", 302, "HTTP 302"],
        );
        assert.equal(hook.received.length, 1);
        assert.equal(target.received.length, 0, "the redirect target was never called");
      } finally {
        hook.server.close();
        target.server.close();
        await link.server.close();
      }
    });

    test("a receiver that never answers is a timed-out attempt, retried later", async () => {
      // Loopback receiver: private targets allowed. A short timeout keeps the test fast.
      const link = await startLinkServer(backend, { ...loopbackWebhooks, "link.webhookTimeoutMs": 200 });
      const silent = createServer(() => {});
      silent.listen(0, "127.0.0.1");
      await once(silent, "listening");
      try {
        const scenario = "link: webhook timeout";
        const port = (silent.address() as AddressInfo).port;
        const { apiKey, tenantId, id } = await register(link, `http://127.0.0.1:${port}/hooks`, scenario);
        await emit(link, tenantId);
        const delivery = await attempted(link, apiKey, id as string, scenario);
        assert.deepEqual(
          [delivery.state, delivery.lastStatus, delivery.lastError],
          ["pending", null, "timed out"],
        );
      } finally {
        silent.closeAllConnections();
        silent.close();
        await link.server.close();
      }
    });

    test("a burst of registrations gets at most link.maxWebhooksPerTenant webhooks per tenant", async () => {
      // The targets are loopback (port 9, nothing listens; no event is ever sent) so nothing this
      // test registers could reach off the machine; that needs private targets allowed.
      const link = await startLinkServer(backend, loopbackWebhooks);
      try {
        const cap = link.server.server.ctx.config.link.maxWebhooksPerTenant;
        assert.equal(cap, 20, "the default");
        const scenario = "link: webhook cap";
        const { apiKey } = await link.server.tenant();
        const post = () =>
          link.server.api("POST", "/v1/link/webhooks", {
            apiKey,
            body: { url: "http://127.0.0.1:9/hook" },
            scenario,
          });
        const answers = await Promise.all(Array.from({ length: cap + 15 }, post));
        const created = answers.filter((a) => a.status === 201);
        const refused = answers.filter((a) => a.body.errorCode === TesseraApiCode.WebhookLimitReached);
        assert.equal(created.length, cap);
        assert.equal(refused.length, 15);
        assert.ok(refused.every((a) => a.status === 409));
        const listed = await link.server.api("GET", "/v1/link/webhooks", { apiKey, scenario });
        assert.equal((listed.body.webhooks as unknown[]).length, cap);

        const other = await link.server.tenant();
        const elsewhere = await link.server.api("POST", "/v1/link/webhooks", {
          apiKey: other.apiKey,
          body: { url: "http://127.0.0.1:9/hook" },
          scenario,
        });
        assert.equal(elsewhere.status, 201, "the cap is per tenant");

        const id = (created[0]?.body.webhook as { id: string } | undefined)?.id;
        assert.ok(id !== undefined);
        await link.server.api("DELETE", `/v1/link/webhooks/${id}`, { apiKey, scenario });
        assert.equal((await post()).status, 201, "a deleted webhook frees its slot");
        assert.equal((await post()).body.errorCode, TesseraApiCode.WebhookLimitReached);
      } finally {
        await link.server.close();
      }
    });
  });
}
