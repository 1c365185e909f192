import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The real Sandbox Bank behind a loopback relay that holds the answer to the first transaction
 * list until released: the runner that asked is paused inside its connector call, on demand. It
 * counts the requests it receives, and tells when the held request's client gave up on it (its
 * connection closed before the answer: the runner aborted its request).
 */
export interface HoldingRelay {
  readonly url: string;
  /** Resolves once a request is being held. */
  readonly held: Promise<void>;
  /** Whether the held request's client closed its connection before getting the answer. */
  readonly abandoned: () => boolean;
  /** Requests received so far (the held one included). */
  readonly requests: () => number;
  release(): void;
  close(): void;
}

export async function holdingRelay(target: string): Promise<HoldingRelay> {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = () => {};
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  let abandoned = false;
  let first = true;
  let requests = 0;
  const server = createServer(async (request, response) => {
    requests += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ["cookie", "content-type", "accept"]) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const answer = await fetch(new URL(request.url ?? "/", target), {
      method: request.method ?? "GET",
      headers,
      ...(chunks.length === 0 ? {} : { body: Buffer.concat(chunks) }),
    });
    const body = Buffer.from(await answer.arrayBuffer());
    if (first && request.url?.includes("/transactions")) {
      first = false;
      response.once("close", () => {
        if (!response.writableFinished) abandoned = true;
      });
      holding();
      await gate;
    }
    if (response.destroyed) return;
    response.writeHead(answer.status, {
      "content-type": answer.headers.get("content-type") ?? "application/json",
      "set-cookie": answer.headers.getSetCookie(),
    });
    response.end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    held,
    abandoned: () => abandoned,
    requests: () => requests,
    release,
    close: () => {
      release();
      server.closeAllConnections();
      server.close();
    },
  };
}
