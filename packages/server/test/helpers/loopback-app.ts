import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A native app's loopback redirect (RFC 8252): a listener on 127.0.0.1 and a free port that
 * answers the browser's arrival with a small page and remembers the URLs it was sent to.
 */
export interface LoopbackApp {
  readonly redirectUri: string;
  /** Where the app asks to be sent after signing out. */
  readonly signedOutUri: string;
  readonly arrivals: readonly URL[];
  close(): Promise<void>;
}

export async function startLoopbackApp(): Promise<LoopbackApp> {
  const arrivals: URL[] = [];
  const server: Server = createServer((request, response) => {
    arrivals.push(new URL(request.url ?? "/", "http://127.0.0.1"));
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end('<!doctype html><html lang="en"><title>Signed in</title><h1>Back in the app</h1></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    signedOutUri: `http://127.0.0.1:${port}/signed-out`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
