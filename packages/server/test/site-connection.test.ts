import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { ManualClock } from "../src/clock/clock.ts";
import { type SandboxBank, startSandboxBank } from "../src/link/sandbox-bank/sandbox-bank.ts";
import { sandboxSites } from "../src/link/sites/sandbox-sites.ts";
import type { Site } from "../src/link/sites/site.ts";
import { type ConnectionTestDeps, testSiteConnection } from "../src/link/sites/test-site-connection.ts";
import { type OfxReplayServer, ofxSite, startOfxReplayServer } from "./helpers/ofx-replay-server.ts";

/**
 * The connection test, step by step, against the Sandbox Bank's OFX server, real bank files, a
 * TLS server with its own CA, and addresses the policy refuses (checked without connecting).
 */
const ofxSandbox = sandboxSites.find((s) => s.id === "sandbox-bank-ofx") as Site;
const steps = (report: { steps: readonly { step: string; ok: boolean }[] }) =>
  report.steps.map((s) => `${s.ok ? "✓" : "✗"}${s.step}`);

suite("site connection test", () => {
  let bank: SandboxBank;
  const replays: OfxReplayServer[] = [];
  const deps = (allowPrivate: boolean): ConnectionTestDeps => ({
    config: {
      link: {
        siteAllowPrivateNetworks: allowPrivate,
        connectorTimeoutMs: 5000,
        maxResponseBytes: 16 * 1024 * 1024,
        maxRedirects: 5,
      },
    },
    link: { siteUrl: (site) => (site.sandbox ? new URL(site.url, bank.url).toString() : site.url) },
  });
  before(async () => {
    bank = await startSandboxBank(new ManualClock(Date.UTC(2026, 5, 30, 12)));
  });
  after(async () => {
    await bank.close();
    await Promise.all(replays.map((r) => r.close()));
  });

  test("anonymous: the Sandbox Bank's OFX server answers a profile request with what it supports", async () => {
    const report = await testSiteConnection(deps(false), ofxSandbox);
    assert.deepEqual(steps(report), ["✓options", "✓address", "✓http", "✓ofx", "✓profile"]);
    assert.equal(report.ok, true);
    const profile = report.steps.at(-1)?.data as {
      institution: string;
      messageSets: string[];
      signonCode: number;
    };
    assert.equal(profile.institution, "Sandbox Bank");
    assert.equal(profile.signonCode, 0);
    assert.deepEqual(profile.messageSets, [
      "SIGNON",
      "SIGNUP",
      "BANK",
      "CREDITCARD",
      "INVSTMT",
      "SECLIST",
      "PROF",
    ]);
  });

  test("with a login: a real sign-on, its accounts counted; a wrong one names the credential status", async () => {
    const good = await testSiteConnection(deps(false), ofxSandbox, {
      login: "user_good",
      password: "sandbox",
    });
    assert.deepEqual(steps(good), ["✓options", "✓address", "✓http", "✓ofx", "✓signon"]);
    assert.deepEqual(good.steps.at(-1)?.data, { ofxCode: 0, accounts: 2 });
    const locked = await testSiteConnection(deps(false), ofxSandbox, {
      username: "user_locked",
      password: "sandbox",
    });
    assert.equal(locked.ok, false);
    assert.deepEqual(locked.steps.at(-1)?.data, { ofxCode: 15502, credentialStatus: S.Locked });
    assert.match(locked.steps.at(-1)?.detail ?? "", /405 Locked/);
  });

  test("real-world files: signon_fail maps to 401; a statement file has no profile to show", async () => {
    const failing = await startOfxReplayServer(["signon_fail.ofx"]);
    const checking = await startOfxReplayServer(["checking.ofx"]);
    replays.push(failing, checking);
    // Loopback replay servers: the test loosens the private-network policy for itself.
    const refused = await testSiteConnection(deps(true), ofxSite(failing.url), {
      login: "jo",
      password: "secret-pin",
    });
    assert.deepEqual(refused.steps.at(-1)?.data, { ofxCode: 15500, credentialStatus: S.Unauthorized });
    const anonymous = await testSiteConnection(deps(true), ofxSite(checking.url));
    assert.deepEqual(steps(anonymous), ["✓options", "✓address", "✓http", "✓ofx", "✗profile"]);
    assert.equal(checking.requests[0]?.kind, "profile");
    assert.equal(checking.requests[0]?.userId, "anonymous00000000000000000000000");
  });

  test("the password is never in the report, even when the site echoes it back", async () => {
    const echo = await import("node:http").then(({ createServer: http }) =>
      http(async (request, response) => {
        let body = "";
        for await (const chunk of request) body += chunk;
        const password = /<USERPASS>([^<\r\n]*)/.exec(body)?.[1] ?? "";
        response.writeHead(200, { "content-type": "application/x-ofx" });
        response.end(
          `OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500<SEVERITY>ERROR<MESSAGE>bad password ${password}</STATUS></SONRS></SIGNONMSGSRSV1></OFX>`,
        );
      }),
    );
    echo.listen(0, "127.0.0.1");
    await once(echo, "listening");
    try {
      const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/ofx`;
      const report = await testSiteConnection(deps(true), ofxSite(url), {
        login: "jo",
        password: "Tr0ub4dor&3",
      });
      const text = JSON.stringify(report);
      assert.doesNotMatch(text, /Tr0ub4dor/);
      assert.match(text, /bad password \*\*\*/);
    } finally {
      echo.close();
    }
  });

  test("addresses the policy refuses stop the test before any connection", async () => {
    const privateSite = ofxSite("https://10.20.30.40/ofx");
    const report = await testSiteConnection(deps(false), privateSite);
    assert.deepEqual(steps(report), ["✓options", "✗address"]);
    // A literal address does not "resolve"; every refusal names the setting that would allow it.
    assert.match(
      report.steps[1]?.detail ?? "",
      /^the address 10\.20\.30\.40 is not public; link\.siteAllowPrivateNetworks is off$/,
    );
    const plain = await testSiteConnection(deps(false), ofxSite("http://93.184.216.34/ofx"));
    assert.match(plain.steps[1]?.detail ?? "", /https \(http needs link\.siteAllowPrivateNetworks\)/);
    const loopback = await testSiteConnection(deps(false), ofxSite("https://[::1]:9/ofx"));
    assert.match(
      loopback.steps[1]?.detail ?? "",
      /^the address ::1 is not public; link\.siteAllowPrivateNetworks/,
    );
    const badOptions = await testSiteConnection(
      deps(false),
      ofxSite("https://10.20.30.40/ofx", { ofxVersion: "999" }),
    );
    assert.deepEqual(steps(badOptions), ["✗options"]);
  });

  test("TLS: a server behind its own CA fails the handshake, and passes with the site's CA", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-site-tls-"));
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "2",
          "-subj",
          "/CN=bank.test",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      const cert = readFileSync(join(dir, "cert.pem"), "utf8");
      const server = createServer({ key: readFileSync(join(dir, "key.pem")), cert }, (_request, response) =>
        response.end(),
      );
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      try {
        const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ofx`;
        const untrusted = await testSiteConnection(deps(true), ofxSite(url));
        assert.deepEqual(steps(untrusted), ["✓options", "✓address", "✗tls"]);
        assert.match(untrusted.steps[2]?.detail ?? "", /SELF_SIGNED/);
        const trusted = await testSiteConnection(deps(true), { ...ofxSite(url), tls: { ca: cert } });
        assert.equal(trusted.steps[2]?.ok, true, trusted.steps[2]?.detail);
        assert.equal((trusted.steps[2]?.data as { subject?: string } | undefined)?.subject, "bank.test");
      } finally {
        server.closeAllConnections();
        server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
