import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import type { ApiResponse } from "./helpers/api-client.ts";
import {
  connect,
  endsWith,
  type LinkSetup,
  loopbackWebhooks,
  siteBody,
  startLinkServer,
  until,
  type WebhookReceiver,
  waitFor,
  webhookReceiver,
} from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Another tenant's resource does not exist for a tenant: on every Link route, its id (in the
 * path, in a query filter or in the body) is answered exactly as an id nobody has, 404 NotFound,
 * never with an empty page. The table lists every /v1/link route the app serves: a new route
 * fails this test until it says where its ids go.
 */
type Kind = "site" | "credential" | "job" | "account" | "transaction" | "webhook" | "delivery";
const kinds: readonly Kind[] = ["site", "credential", "job", "account", "transaction", "webhook", "delivery"];

/** Where a route takes an id of a Link resource: `{id}` in the path, a query filter, or a body property. */
type Slot = { readonly in: "path" } | { readonly in: "query"; readonly name: string };
interface Route {
  readonly slots: readonly Slot[];
  /** A valid body, so that only the id decides the answer. */
  readonly body?: unknown;
  /** A query the route requires besides the probed one. */
  readonly query?: Record<string, string>;
}

const path: Slot = { in: "path" };
const table: Record<string, Route> = {
  "GET /v1/link/sites": { slots: [] },
  // The body is a new site; its id is the tenant's to choose (ids are one namespace: link-sites.test.ts).
  "POST /v1/link/sites": { slots: [] },
  "GET /v1/link/sites/:id": { slots: [path] },
  "PATCH /v1/link/sites/:id": { slots: [path], body: { enabled: false } },
  "DELETE /v1/link/sites/:id": { slots: [path] },
  // The body names a site and a Tessera user, no Link resource.
  "POST /v1/link/credentials": { slots: [] },
  "GET /v1/link/credentials": { slots: [] },
  "GET /v1/link/credentials/:id": { slots: [path] },
  "DELETE /v1/link/credentials/:id": { slots: [path] },
  "POST /v1/link/credentials/:id/sync": { slots: [path] },
  "GET /v1/link/jobs": { slots: [{ in: "query", name: "credential" }] },
  "GET /v1/link/jobs/:id/status": { slots: [path] },
  "GET /v1/link/jobs/:id/events": { slots: [path] },
  "POST /v1/link/jobs/:id/twofa": { slots: [path], body: { twofa: { token: "123456" } } },
  "GET /v1/link/accounts": { slots: [{ in: "query", name: "credential" }] },
  "GET /v1/link/transactions": { slots: [{ in: "query", name: "account" }] },
  "GET /v1/link/positions": { slots: [{ in: "query", name: "account" }] },
  "GET /v1/link/investment-transactions": { slots: [{ in: "query", name: "account" }] },
  "GET /v1/link/securities": { slots: [{ in: "query", name: "account" }] },
  "POST /v1/link/webhooks": { slots: [] },
  "GET /v1/link/webhooks": { slots: [] },
  "DELETE /v1/link/webhooks/:id": { slots: [path] },
  "GET /v1/link/webhooks/:id/deliveries": { slots: [path] },
};

/** Every route of the app as `METHOD /path`, read from Fastify's route tree (HEAD left out). */
function servedRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? "").length / 4;
    stack.length = depth;
    const full = `${stack[depth - 1] ?? ""}${match[2]}`;
    stack.push(full);
    for (const method of (match[3] ?? "").split(", ").filter((m) => m !== "" && m !== "HEAD"))
      routes.push(`${method} ${full}`);
  }
  return routes;
}

/** The answer with the probed id replaced, so that two answers can be compared whole. */
const comparable = (response: ApiResponse, id: string) => ({
  status: response.status,
  body: JSON.parse(JSON.stringify(response.body).replaceAll(id, "<id>")) as unknown,
});

for (const backend of backends) {
  suite(`another tenant's Link resources are 404 everywhere (${backend})`, () => {
    let owner: LinkSetup;
    let receiver: WebhookReceiver;
    const ids = {} as Record<Kind, string>;
    before(async () => {
      // Loosened for this suite: the owner's webhook is delivered to a receiver on loopback.
      owner = await startLinkServer(backend, loopbackWebhooks);
      receiver = await webhookReceiver([]);
      const scenario = "link isolation: setup";
      const hook = await owner.server.api("POST", "/v1/link/webhooks", {
        apiKey: owner.apiKey,
        body: { url: receiver.url },
        scenario,
      });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      ids.webhook = (hook.body.webhook as { id: string }).id;
      const site = await owner.server.api("POST", "/v1/link/sites", {
        apiKey: owner.apiKey,
        body: siteBody("owners-own-bank"),
        scenario,
      });
      assert.equal(site.status, 201, JSON.stringify(site.body));
      ids.site = "owners-own-bank";
      const connected = await connect(owner, "user_good", scenario);
      await waitFor(owner, connected.jobId, scenario, endsWith(S.Finish));
      ids.credential = connected.credentialId;
      ids.job = connected.jobId;
      const get = (url: string) => owner.server.api("GET", url, { apiKey: owner.apiKey, scenario });
      const accounts = (await get(`/v1/link/accounts?credential=${ids.credential}`)).body.accounts as {
        id: string;
      }[];
      ids.account = accounts[0]?.id ?? "";
      const transactions = (await get(`/v1/link/transactions?account=${ids.account}`)).body.transactions as {
        id: string;
      }[];
      ids.transaction = transactions[0]?.id ?? "";
      await until(async () => {
        const list = (await get(`/v1/link/webhooks/${ids.webhook}/deliveries`)).body.deliveries as {
          id: string;
        }[];
        ids.delivery = list[0]?.id ?? "";
        return ids.delivery !== "";
      }, "a webhook delivery");
      for (const kind of kinds) assert.ok(ids[kind], kind);
    });
    after(async () => {
      receiver.server.close();
      await owner.server.close();
    });

    test("the table names every /v1/link route the app serves", () => {
      const served = servedRoutes(owner.server.server.app.printRoutes({ commonPrefix: false }))
        .filter((route) => route.split(" ")[1]?.startsWith("/v1/link"))
        .sort();
      assert.ok(served.length >= 10, "the route tree was read");
      assert.deepEqual(served, Object.keys(table).sort());
    });

    test("every id of another tenant's site, credential, job, account, transaction, webhook and delivery is answered as an unknown id", async () => {
      const { apiKey } = await owner.server.tenant();
      const scenario = "link isolation: another tenant's id";
      const probe = (key: string, route: Route, slot: Slot, id: string) => {
        const [method = "", template = ""] = key.split(" ");
        let url = slot.in === "path" ? template.replace(":id", id) : template;
        const query = new URLSearchParams(route.query);
        if (slot.in === "query") query.set(slot.name, id);
        if (query.size > 0) url = `${url}?${query}`;
        return owner.server.api(method, url, {
          apiKey,
          scenario,
          ...(route.body === undefined ? {} : { body: route.body }),
        });
      };
      let probes = 0;
      for (const [key, route] of Object.entries(table)) {
        for (const slot of route.slots) {
          const unknown = randomUUID();
          const expected = comparable(await probe(key, route, slot, unknown), unknown);
          const where = `${key} (${slot.in === "path" ? "path" : `?${slot.name}`})`;
          assert.equal(expected.status, 404, `${where} with an unknown id`);
          assert.equal((expected.body as { errorCode: number }).errorCode, TesseraApiCode.NotFound, where);
          for (const kind of kinds) {
            const answer = comparable(await probe(key, route, slot, ids[kind]), ids[kind]);
            assert.deepEqual(answer, expected, `${where} with another tenant's ${kind} id`);
            probes += 1;
          }
        }
      }
      assert.ok(probes >= 60);
      // Nothing was changed by the other tenant's attempts (deletes and syncs included).
      const own = (url: string) => owner.server.api("GET", url, { apiKey: owner.apiKey, scenario });
      assert.equal((await own(`/v1/link/credentials/${ids.credential}`)).status, 200);
      const site = await own(`/v1/link/sites/${ids.site}`);
      assert.equal((site.body.site as { enabled: boolean }).enabled, true, "the site was not switched off");
      assert.equal(
        ((await own(`/v1/link/jobs?credential=${ids.credential}`)).body.jobs as unknown[]).length,
        1,
      );
      assert.equal((await own(`/v1/link/webhooks/${ids.webhook}/deliveries`)).status, 200);
    });

    test("a filter by the tenant's own credential or account that has no rows is an empty page, not 404", async () => {
      const scenario = "link isolation: own ids";
      const own = (url: string) => owner.server.api("GET", url, { apiKey: owner.apiKey, scenario });
      const page = await own(`/v1/link/transactions?account=${ids.account}&from=1999-01-01&to=1999-01-02`);
      assert.equal(page.status, 200);
      assert.deepEqual(page.body.transactions, []);
      assert.equal((await own(`/v1/link/accounts?credential=${ids.credential}`)).status, 200);
      assert.equal((await own(`/v1/link/jobs?credential=${ids.credential}`)).status, 200);
    });
  });
}
