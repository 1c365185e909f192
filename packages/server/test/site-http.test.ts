import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { gzipSync } from "node:zlib";
import { CredentialStatus as S } from "@tessera/codes";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { checkCaBundle } from "../src/link/connectors/ca-bundle.ts";
import { type ConnectorContext, ConnectorFailure, type SiteIo } from "../src/link/connectors/connector.ts";
import { siteRequest } from "../src/link/connectors/site-http.ts";
import { sandboxSites } from "../src/link/sites/sandbox-sites.ts";
import type { Site } from "../src/link/sites/site.ts";
import { until } from "./helpers/link.ts";
import { type SiteServer, siteServer, type TestAuthority, testAuthority } from "./helpers/site-servers.ts";

/**
 * siteRequest against real loopback HTTP and HTTPS servers: the address policy for operator
 * sites, redirects hop by hop, cookies per host, and a site's own certificate authority.
 */
const production: SiteIo = {
  maxResponseBytes: 16 * 1024 * 1024,
  maxRedirects: 5,
  allowPrivateNetworks: false,
};
/** Both test servers listen on loopback: only with private networks allowed may an operator site reach them. */
const loopbackAllowed: SiteIo = { ...production, allowPrivateNetworks: true };

const operatorSite = (url: string, tls?: { ca: string }): Site => ({
  ...(sandboxSites[2] as Site),
  id: "test-ofx",
  sandbox: false,
  url,
  ...(tls === undefined ? {} : { tls }),
});

function context(site: Site, io: SiteIo, baseUrl = site.url): ConnectorContext {
  return { site, baseUrl, signal: AbortSignal.timeout(5000), fields: {}, session: {}, io };
}

async function failure(promise: Promise<unknown>): Promise<ConnectorFailure> {
  const error = await promise.then(
    () => assert.fail("expected a ConnectorFailure"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConnectorFailure, String(error));
  return error;
}

suite("site requests over loopback", () => {
  let a: SiteServer;
  let b: SiteServer;
  let secure: SiteServer;
  let authority: TestAuthority;
  before(async () => {
    authority = testAuthority();
    a = await siteServer();
    b = await siteServer({ host: "localhost" });
    secure = await siteServer({ tls: { key: authority.key, cert: authority.cert } });
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), secure.close()]);
  });

  test("with the default policy an operator site on loopback or a private address is refused before connecting", async () => {
    const opened = a.connections.opened + b.connections.opened + secure.connections.opened;
    for (const url of [
      `https://127.0.0.1:${secure.port}/`,
      `https://localhost:${secure.port}/`,
      `https://[::ffff:127.0.0.1]:${secure.port}/`,
      `https://10.0.0.1:${secure.port}/`,
      `https://169.254.169.254/`,
      `http://localhost:${b.port}/`,
      // Plain http is refused by scheme alone, before any name is looked up.
      "http://example.com/ofx",
    ]) {
      const error = await failure(siteRequest(context(operatorSite(url), production), ""));
      assert.equal(error.status, S.Error, url);
      assert.match(error.message, /non-public address|is not public|only https/, url);
      assert.match(error.message, /link\.siteAllowPrivateNetworks/, url);
    }
    assert.equal(a.connections.opened + b.connections.opened + secure.connections.opened, opened);
  });

  test("a Sandbox Bank site is exempt on its own address, but its redirect elsewhere is checked", async () => {
    const sandbox = sandboxSites[0] as Site;
    a.handler = (request, response) =>
      request.url === "/api/here"
        ? response.end("{}")
        : response.writeHead(302, { location: `http://localhost:${b.port}/api/there` }).end();
    const c = context(sandbox, production, new URL("/api/", a.url).toString());
    assert.equal((await siteRequest(c, "here")).status, 200);
    const before = b.requests.length;
    const error = await failure(siteRequest(c, "elsewhere"));
    assert.equal(error.status, S.Error);
    assert.match(error.message, /only https/);
    assert.equal(b.requests.length, before, "the other host was never asked");
  });

  test("a redirect to another host: 307 keeps method and body, cookies stay with their host", async () => {
    a.handler = (_, response) =>
      response
        .writeHead(307, { location: `http://localhost:${b.port}/next`, "set-cookie": "bank=a; Path=/" })
        .end();
    b.handler = (_, response) => response.writeHead(200, { "set-cookie": "other=b" }).end("{}");
    const c = context(operatorSite(a.url), loopbackAllowed);
    c.session = { cookies: { kept: "1" } };
    const before = b.requests.length;
    const response = await siteRequest(c, "start", {
      method: "POST",
      body: "<OFX/>",
      contentType: "application/x-ofx",
    });
    assert.equal(response.status, 200);
    assert.deepEqual(b.requests.slice(before), [
      { method: "POST", url: "/next", cookie: undefined, body: "<OFX/>" },
    ]);
    assert.deepEqual(
      c.session.cookies,
      { kept: "1", bank: "a" },
      "another host's cookie is not kept for the site",
    );
    assert.equal(a.requests.at(-1)?.cookie, "kept=1");
  });

  test("301 and 302 turn a POST into a GET; the same host's cookies go along", async () => {
    for (const status of [301, 302]) {
      a.handler = (request, response) =>
        request.url === "/moved"
          ? response.end("{}")
          : response.writeHead(status, { location: "/moved", "set-cookie": `hop=${status}` }).end();
      const c = context(operatorSite(a.url), loopbackAllowed);
      await siteRequest(c, "post", { method: "POST", body: "x", contentType: "text/plain" });
      assert.deepEqual(a.requests.at(-1), {
        method: "GET",
        url: "/moved",
        cookie: `hop=${status}`,
        body: "",
      });
    }
  });

  test("link.maxRedirects 0 follows none; a per-request manual redirect hands the 3xx back", async () => {
    a.handler = (_, response) => response.writeHead(302, { location: "/again" }).end();
    const before = a.requests.length;
    const error = await failure(
      siteRequest(context(operatorSite(a.url), { ...loopbackAllowed, maxRedirects: 0 }), ""),
    );
    assert.equal(error.status, S.Error);
    assert.match(error.message, /link\.maxRedirects \(0\)/);
    assert.equal(a.requests.length, before + 1);
    const manual = await siteRequest(context(operatorSite(a.url), loopbackAllowed), "", {
      redirect: "manual",
    });
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.get("location"), "/again");
  });

  test("a burst of concurrent endless answers: each cut at the cap, together bounded", async () => {
    let written = 0;
    a.handler = (_, response) => {
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = () => {
        while (!response.destroyed) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", pump);
        }
      };
      pump();
    };
    const closed = a.connections.closed;
    // The smallest cap the setting allows keeps the burst quick; the rule is the same at any cap.
    const io: SiteIo = { ...loopbackAllowed, maxResponseBytes: 65_536 };
    const errors = await Promise.all(
      Array.from({ length: 12 }, () => failure(siteRequest(context(operatorSite(a.url), io), ""))),
    );
    for (const error of errors) {
      assert.equal(error.status, S.Error);
      assert.match(error.message, /link\.maxResponseBytes \(65536 bytes\)/);
    }
    await until(() => a.connections.closed >= closed + 12, "every connection to be closed");
    assert.ok(written < 12 * 8 * 1024 * 1024, `the site wrote ${written} bytes`);
  });

  test("a compressed answer nobody asked for is refused rather than inflated past the cap", async () => {
    a.handler = (request, response) => {
      assert.equal(request.headers["accept-encoding"], "identity");
      response.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync("{}"));
    };
    const error = await failure(siteRequest(context(operatorSite(a.url), loopbackAllowed), ""));
    assert.equal(error.status, S.Error);
    assert.match(error.message, /gzip body unasked/);
  });

  test("a site's own CA: without it the certificate is not trusted (Unavailable), with it the request succeeds", async () => {
    secure.handler = (_, response) => response.end('{"ok":true}');
    const url = `https://localhost:${secure.port}/`;
    const untrusted = await failure(siteRequest(context(operatorSite(url), loopbackAllowed), ""));
    assert.equal(untrusted.status, S.Unavailable);
    assert.match(untrusted.message, /certificate is not trusted/);
    assert.match(untrusted.message, /tls\.ca/);
    const trusted = await siteRequest(context(operatorSite(url, { ca: authority.ca }), loopbackAllowed), "");
    assert.equal(trusted.text, '{"ok":true}');
    // The CA is the site's alone: another site without it still does not trust the certificate.
    const other = await failure(siteRequest(context(operatorSite(url), loopbackAllowed), ""));
    assert.equal(other.status, S.Unavailable);
  });

  test("an https site redirecting to http is refused, even with private networks allowed", async () => {
    secure.handler = (_, response) =>
      response.writeHead(302, { location: `http://127.0.0.1:${a.port}/plain` }).end();
    const before = a.requests.length;
    const url = `https://localhost:${secure.port}/`;
    const error = await failure(
      siteRequest(context(operatorSite(url, { ca: authority.ca }), loopbackAllowed), ""),
    );
    assert.equal(error.status, S.Error);
    assert.match(error.message, /https to http/);
    assert.equal(a.requests.length, before);
  });
});

test("checkCaBundle: one or more PEM certificates, nothing else", () => {
  const { ca, cert, key } = testAuthority();
  assert.equal(checkCaBundle(ca), undefined);
  assert.equal(checkCaBundle(`${ca}\n${cert}`), undefined);
  assert.match(checkCaBundle("") ?? "", /no certificate/);
  assert.match(checkCaBundle("hello") ?? "", /no certificate/);
  assert.match(checkCaBundle(`${ca}${key}`) ?? "", /PRIVATE KEY/);
  const broken = ca.replace(/\n[A-Za-z0-9+/]{20}/, "\nAAAAAAAAAAAAAAAAAAAA");
  assert.match(checkCaBundle(broken) ?? "", /certificate 1 cannot be read/);
  const inAWeek = Date.now() + 7 * 86_400_000;
  assert.match(checkCaBundle(ca, inAWeek) ?? "", /certificate 1 \(CN=Tessera Test CA\) expired on/);
});

test("link.maxResponseBytes and link.maxRedirects: extremes are refused at start, naming the setting", () => {
  const extremes = ["-1", "2147483648", "9007199254740992", "1.5", "1e3", "0x10", "x".repeat(10_000)];
  for (const [env, name, low] of [
    ["TESSERA_LINK_MAX_RESPONSE_BYTES", "link.maxResponseBytes", "0"],
    ["TESSERA_LINK_MAX_REDIRECTS", "link.maxRedirects", "21"],
  ] as const) {
    for (const value of [...extremes, low]) {
      assert.throws(
        () => loadConfig({ env: { [env]: value } }),
        (error) =>
          error instanceof ConfigError && error.message.includes(`${name} (${env}) must be an integer`),
        `${name}=${value.slice(0, 20)}`,
      );
    }
  }
  assert.equal(loadConfig({ env: { TESSERA_LINK_MAX_REDIRECTS: "0" } }).link.maxRedirects, 0);
  const defaults = loadConfig({ env: {} }).link;
  assert.deepEqual([defaults.maxResponseBytes, defaults.maxRedirects], [16 * 1024 * 1024, 5]);
});
