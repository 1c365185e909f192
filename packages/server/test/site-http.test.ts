import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { gzipSync } from "node:zlib";
import { CredentialStatus as S } from "@tessera/codes";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { checkCaBundle } from "../src/link/connectors/ca-bundle.ts";
import { type ConnectorContext, ConnectorFailure, type SiteIo } from "../src/link/connectors/connector.ts";
import { refuseHop } from "../src/link/connectors/request-address-policy.ts";
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
  /** On 127.0.0.1 like a: the same host on another port. */
  let c: SiteServer;
  let secure: SiteServer;
  /** Another port of the same host, with a certificate from the same CA. */
  let secure2: SiteServer;
  let authority: TestAuthority;
  before(async () => {
    authority = testAuthority();
    a = await siteServer();
    b = await siteServer({ host: "localhost" });
    c = await siteServer();
    secure = await siteServer({ tls: { key: authority.key, cert: authority.cert } });
    secure2 = await siteServer({ tls: { key: authority.key, cert: authority.cert } });
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), c.close(), secure.close(), secure2.close()]);
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
      assert.match(
        error.message,
        /does not resolve to a public address|is not public|is a local name|only https|only 443/,
        url,
      );
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

  test("a POST redirected to another origin is refused whatever the 3xx: the other origin receives nothing", async () => {
    const elsewhere = [
      `http://localhost:${b.port}/steal`,
      // The same host on another port is another origin too.
      `http://127.0.0.1:${c.port}/steal`,
    ];
    for (const target of elsewhere) {
      for (const status of [301, 302, 303, 307, 308]) {
        a.handler = (_, response) => response.writeHead(status, { location: target }).end();
        const before = [b.requests.length, c.requests.length, b.connections.opened, c.connections.opened];
        const error = await failure(
          siteRequest(context(operatorSite(a.url), loopbackAllowed), "", {
            method: "POST",
            body: "<USERID>alice<USERPASS>hunter2",
            contentType: "application/x-ofx",
          }),
        );
        assert.equal(error.status, S.Error, `${status} ${target}`);
        assert.match(
          error.message,
          new RegExp(`answered ${status} to a POST with a redirect to another origin`),
        );
        assert.match(error.message, /never sent to another origin/);
        assert.deepEqual(
          [b.requests.length, c.requests.length, b.connections.opened, c.connections.opened],
          before,
          `${status} ${target}: the other origin was never contacted`,
        );
      }
    }
  });

  test("307 and 308 on the same origin keep the method, the body and the site's cookies", async () => {
    for (const status of [307, 308]) {
      a.handler = (request, response) =>
        request.url === "/next"
          ? response.end("{}")
          : response.writeHead(status, { location: "/next", "set-cookie": `hop=${status}` }).end();
      const c0 = context(operatorSite(a.url), loopbackAllowed);
      c0.session = { cookies: { kept: "1" } };
      await siteRequest(c0, "start", { method: "POST", body: "<OFX/>", contentType: "application/x-ofx" });
      assert.deepEqual(a.requests.at(-1), {
        method: "POST",
        url: "/next",
        cookie: `kept=1; hop=${status}`,
        body: "<OFX/>",
      });
    }
  });

  test("a GET redirected to another origin (host or port) goes without the site's cookies; that origin's cookies are not kept", async () => {
    for (const other of [b, c]) {
      const target = other === b ? `http://localhost:${b.port}/next` : `http://127.0.0.1:${c.port}/next`;
      a.handler = (_, response) =>
        response.writeHead(302, { location: target, "set-cookie": "bank=a; Path=/" }).end();
      other.handler = (_, response) => response.writeHead(200, { "set-cookie": "other=b" }).end("{}");
      const c0 = context(operatorSite(a.url), loopbackAllowed);
      c0.session = { cookies: { kept: "1" } };
      const before = other.requests.length;
      const response = await siteRequest(c0, "start");
      assert.equal(response.status, 200);
      assert.deepEqual(other.requests.slice(before), [
        { method: "GET", url: "/next", cookie: undefined, body: "" },
      ]);
      assert.deepEqual(c0.session.cookies, { kept: "1", bank: "a" }, "another origin's cookie is not kept");
      assert.equal(a.requests.at(-1)?.cookie, "kept=1");
    }
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

  test("a site's own CA is trusted on its own origin only: not on another port of the same host", async () => {
    secure2.handler = (_, response) => response.end('{"other":"port"}');
    secure.handler = (_, response) =>
      response.writeHead(302, { location: `https://localhost:${secure2.port}/` }).end();
    const site = operatorSite(`https://localhost:${secure.port}/`, { ca: authority.ca });
    const before = secure2.requests.length;
    const error = await failure(siteRequest(context(site, loopbackAllowed), ""));
    assert.equal(error.status, S.Unavailable);
    assert.match(error.message, /certificate is not trusted/);
    assert.equal(secure2.requests.length, before, "no request reached the other port");
    // The same server is trusted when it is the site's own origin.
    const own = operatorSite(`https://localhost:${secure2.port}/`, { ca: authority.ca });
    assert.equal((await siteRequest(context(own, loopbackAllowed), "")).text, '{"other":"port"}');
  });

  test("the last check runs once connected, before any byte of the request: refused, nothing is sent (http and https)", async () => {
    for (const [server, site] of [
      [a, operatorSite(a.url)],
      [secure, operatorSite(`https://localhost:${secure.port}/`, { ca: authority.ca })],
    ] as const) {
      server.handler = (_, response) => response.end("{}");
      const requests = server.requests.length;
      const opened = server.connections.opened;
      const closed = server.connections.closed;
      let checks = 0;
      const c0: ConnectorContext = {
        ...context(site, loopbackAllowed),
        beforeSend: () => {
          checks += 1;
          throw new Error("the lease lapsed");
        },
      };
      const error = await siteRequest(c0, "", {
        method: "POST",
        body: "secret",
        contentType: "text/plain",
      }).then(
        () => assert.fail("expected the request to be refused"),
        (e: unknown) => e as Error,
      );
      assert.equal(error.message, "the lease lapsed", "the check's own error, not a transport failure");
      assert.equal(checks, 1);
      // The check ran once connected (for https, after the handshake: the server saw a TLS
      // connection), and the connection was closed without a request.
      await until(() => server.connections.opened === opened + 1, "the connection to be opened");
      await until(() => server.connections.closed === closed + 1, "the connection to be closed");
      assert.equal(server.requests.length, requests, "the server received no request");
    }
  });

  test("with the default policy an operator site, or a redirect, on another port than 443 is refused before any lookup", async () => {
    const error = await failure(
      siteRequest(context(operatorSite("https://bank.example:8443/ofx"), production), ""),
    );
    assert.equal(error.status, S.Error);
    assert.match(error.message, /port 8443.*only 443.*link\.siteAllowPrivateNetworks/);
    // The Sandbox Bank's redirect to a public name on another port: refused before any name is looked up.
    const sandbox = sandboxSites[0] as Site;
    a.handler = (_, response) => response.writeHead(302, { location: "https://bank.example:22/" }).end();
    const redirected = await failure(
      siteRequest(context(sandbox, production, new URL("/api/", a.url).toString()), "x"),
    );
    assert.equal(redirected.status, S.Error);
    assert.match(redirected.message, /port 22.*only 443/);
    // 443, written or not, is the https port: not refused by the policy (checked without connecting).
    for (const url of ["https://bank.example/ofx", "https://bank.example:443/ofx"])
      assert.equal(refuseHop({ url: new URL(url), from: undefined, exempt: false }, false), undefined, url);
    // With private networks allowed (development), any port.
    assert.equal(
      refuseHop({ url: new URL("https://bank.example:8443/"), from: undefined, exempt: false }, true),
      undefined,
    );
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
