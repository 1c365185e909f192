import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Loopback sites for the connector I/O tests: a real HTTP or HTTPS server whose handler a test
 * swaps, counting requests and connections, and a certificate authority made with the openssl
 * CLI for the HTTPS one (a site behind its own CA).
 */
export type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

export interface SiteServer {
  readonly url: string;
  readonly port: number;
  handler: Handler;
  readonly requests: { method: string; url: string; cookie: string | undefined; body: string }[];
  /** TCP connections accepted, and how many of them are closed. */
  readonly connections: { opened: number; closed: number };
  close(): Promise<void>;
}

export async function siteServer(
  options: { host?: string; tls?: { key: string; cert: string } } = {},
): Promise<SiteServer> {
  const site: SiteServer = {
    url: "",
    port: 0,
    handler: (_, response) => response.end("{}"),
    requests: [],
    connections: { opened: 0, closed: 0 },
    close: async () => {},
  };
  const listener = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    site.requests.push({
      method: request.method ?? "",
      url: request.url ?? "",
      cookie: request.headers.cookie,
      body,
    });
    site.handler(request, response, body);
  };
  const server: Server =
    options.tls === undefined ? createServer(listener) : createHttpsServer(options.tls, listener);
  const sockets = new Set<Socket>();
  // TCP connections, for https too: a connection counts even when no handshake completes on it.
  server.on("connection", (socket: Socket) => {
    site.connections.opened += 1;
    sockets.add(socket);
    socket.on("close", () => {
      site.connections.closed += 1;
      sockets.delete(socket);
    });
  });
  const host = options.host ?? "127.0.0.1";
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls === undefined ? "http" : "https";
  return Object.assign(site, {
    url: `${scheme}://${host}:${port}/`,
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  });
}

export interface TestAuthority {
  /** The CA certificate (PEM): what a site's tls.ca holds. */
  readonly ca: string;
  /** A server key and certificate for localhost and 127.0.0.1, signed by the CA. */
  readonly key: string;
  readonly cert: string;
}

/** A throwaway CA and a server certificate it signed, made by /usr/bin/openssl in a temp dir. */
export function testAuthority(): TestAuthority {
  const dir = mkdtempSync(join(tmpdir(), "tessera-ca-"));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Tessera Test CA",
  );
  openssl("req", ...ec, "-keyout", "site.key", "-out", "site.csr", "-subj", "/CN=localhost");
  writeFileSync(at("site.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "site.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "site.pem",
    "-days",
    "2",
    "-extfile",
    "site.ext",
  );
  const read = (name: string) => readFileSync(at(name), "utf8");
  return { ca: read("ca.pem"), key: read("site.key"), cert: read("site.pem") };
}
