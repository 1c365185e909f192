import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small real HTTP issuer on loopback for the setup tests: a discovery document, a JWKS, the
 * client information endpoint and a token endpoint, each replaceable per test to misbehave
 * (wrong status, garbage, silence). Counts the requests per path.
 */
export type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

export interface FakeIssuer {
  readonly issuer: string;
  readonly origin: string;
  /** Replace the answer for a path (the issuer's path is prefixed). */
  on(path: string, handler: Handler): void;
  /** The discovery document served (change it, or call `discovery(...)`). */
  document: Record<string, unknown>;
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

export const json =
  (status: number, body: unknown): Handler =>
  (_request, response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

export const text =
  (status: number, body: string): Handler =>
  (_request, response) => {
    response.writeHead(status, { "content-type": "text/plain" });
    response.end(body);
  };

/** Accepts the request and never answers (the TimeOut case); the socket is closed at close(). */
export const silent: Handler = () => undefined;

export async function startFakeIssuer(clientId: string): Promise<FakeIssuer> {
  const handlers = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const handler = handlers.get(path) ?? json(404, { error: "not_found" });
      handler(request, response, Buffer.concat(chunks).toString("utf8"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}/oidc/tenant-1`;
  const fake: FakeIssuer = {
    issuer,
    origin,
    hits,
    document: {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      userinfo_endpoint: `${issuer}/me`,
      tessera_client_info_endpoint: `${issuer}/clients`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
    },
    on(path, handler) {
      handlers.set(`/oidc/tenant-1${path}`, handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  fake.on("/.well-known/openid-configuration", (request, response, body) =>
    json(200, fake.document)(request, response, body),
  );
  fake.on("/jwks", json(200, { keys: [{ kty: "EC", crv: "P-256", x: "AA", y: "AA", kid: "k1" }] }));
  fake.on(
    `/clients/${clientId}`,
    json(200, {
      client_id: clientId,
      client_name: "Field notes",
      application_type: "native",
      grant_types: ["authorization_code", "refresh_token"],
      offline_grace_hours: 72,
    }),
  );
  return fake;
}

/** A loopback port nothing listens on (the ConnectionError case): bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
