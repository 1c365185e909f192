import { once } from "node:events";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConnectorContext } from "../../packages/server/src/link/connectors/connector.ts";
import { siteRequest } from "../../packages/server/src/link/connectors/site-http.ts";
import type { Site } from "../../packages/server/src/link/sites/site.ts";

/**
 * What the bounded connector transport (link/connectors/site-http.ts: address policy, pinned
 * lookup, body cap, bounded redirects, a fresh connection per request) costs next to the HTTP
 * clients a connector could have used instead: Node's fetch (undici, pooled connections) and
 * node:http with and without a keep-alive agent. All against one local server answering a 16 KiB
 * statement-sized body, in the same run.
 */
export interface TransportFigures {
  readonly bodyBytes: number;
  readonly concurrency: number;
  /** Requests per second by client. */
  readonly requestsPerSecond: Readonly<Record<string, number>>;
}

const BODY = Buffer.alloc(16 * 1024, "x");

async function rate(seconds: number, concurrency: number, call: () => Promise<void>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await call();
        done += 1;
      }
    }),
  );
  return Math.round(done / seconds);
}

function nodeGet(url: string, agent: Agent | false): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent }, (response) => {
      response.on("data", () => {});
      response.on("end", resolve);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

export async function benchSiteTransport(seconds: number, concurrency = 16): Promise<TransportFigures> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/x-ofx", "content-length": BODY.length });
    response.end(BODY);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ofx`;
  // An operator site on loopback: the bench loosens the address policy the way a test would.
  const site: Site = {
    id: "bench-bank",
    name: "Bench Bank",
    organisation: "Bench",
    kind: "personal-banking",
    connector: "ofx",
    fields: [],
    sandbox: false,
    tenantId: null,
    url,
    maxConcurrency: concurrency,
    enabled: true,
    maintenance: [],
  };
  const context = (): ConnectorContext => ({
    site,
    baseUrl: url,
    signal: AbortSignal.timeout(30_000),
    fields: {},
    session: {},
    io: { maxResponseBytes: 16 * 1024 * 1024, maxRedirects: 5, allowPrivateNetworks: true },
  });
  const keepAlive = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const requestsPerSecond: Record<string, number> = {};
    requestsPerSecond["tessera siteRequest"] = await rate(seconds, concurrency, async () => {
      await siteRequest(context(), url);
    });
    requestsPerSecond["fetch (undici)"] = await rate(seconds, concurrency, async () => {
      await (await fetch(url)).arrayBuffer();
    });
    requestsPerSecond["node:http, new connection"] = await rate(seconds, concurrency, () =>
      nodeGet(url, false),
    );
    requestsPerSecond["node:http, keep-alive"] = await rate(seconds, concurrency, () =>
      nodeGet(url, keepAlive),
    );
    return { bodyBytes: BODY.length, concurrency, requestsPerSecond };
  } finally {
    keepAlive.destroy();
    server.closeAllConnections();
    server.close();
  }
}
