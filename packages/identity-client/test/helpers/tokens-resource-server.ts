import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as oidc from "openid-client";

/**
 * A resource server on loopback, as a program's API would be: it takes `Authorization: Bearer`,
 * asks the real Tessera server whether the token is active (introspection) and answers 200 with
 * the subject, else 401. `reject` makes it refuse given tokens (or all) with 401 without asking,
 * as a resource server does that has seen them revoked; `hang` leaves requests unanswered.
 */
export interface ResourceServer {
  readonly url: string;
  /** The bearer tokens received, in order. */
  readonly seen: string[];
  readonly reject: Set<string>;
  rejectAll: boolean;
  hang: boolean;
  close(): Promise<void>;
}

export async function startResourceServer(introspectAs: oidc.Configuration): Promise<ResourceServer> {
  const hanging: ServerResponse[] = [];
  const server = createServer(async (request, response) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    state.seen.push(token);
    if (state.hang) {
      hanging.push(response);
      return;
    }
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (state.rejectAll || state.reject.has(token)) return answer(401, { error: "invalid_token" });
    const info = await oidc.tokenIntrospection(introspectAs, token);
    if (info.active !== true) return answer(401, { error: "invalid_token" });
    answer(200, { sub: info.sub, method: request.method, echo: request.headers["x-echo"] ?? null });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const state: ResourceServer = {
    url: `http://127.0.0.1:${port}/resource`,
    seen: [],
    reject: new Set(),
    rejectAll: false,
    hang: false,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** A loopback address where nothing listens (a port bound and released again). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/resource`;
}
