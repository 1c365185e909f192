import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { codes, connect, endsWith, type LinkSetup, startLinkServer, until, waitFor } from "./helpers/link.ts";
import { type SiteServer, siteServer } from "./helpers/site-servers.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Bounded connector I/O, end to end: a job of the Sandbox Bank site runs against a loopback
 * "bank" this test plays (link.sandboxUrl points at it), which answers too much, redirects in a
 * loop, or drips its answer. Every outcome is read back through the job's public timeline. Each
 * test connects a login of its own: a login connected again reuses its credential and job.
 */
const MiB = 1024 * 1024;
const retrying = endsWith(S.PendingRetry);
const message = (entries: { code: number; message?: unknown }[], code: number) =>
  String(entries.find((e) => e.code === code)?.message);

for (const backend of backends) {
  suite(`Link bounded connector I/O (${backend})`, () => {
    let bank: SiteServer;
    let link: LinkSetup;
    before(async () => {
      bank = await siteServer();
      // A 1 MiB cap instead of the 16 MiB default only makes the over-cap test quick; every other
      // setting runs its production default (link.connectorTimeoutMs is the link tests' 1 s).
      link = await startLinkServer(backend, {
        "link.sandboxUrl": bank.url,
        "link.maxResponseBytes": MiB,
      });
    });
    after(async () => {
      await link.server.close();
      await bank.close();
    });

    test("an endless answer is cut once it passes link.maxResponseBytes: Error naming the cap, a retry later", async () => {
      let written = 0;
      bank.handler = (_, response) => {
        response.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!response.destroyed) {
            written += chunk.length;
            if (!response.write(chunk)) return void response.once("drain", pump);
          }
        };
        response.on("close", () => {});
        pump();
      };
      const opened = bank.connections.opened;
      const scenario = "link io: body over the cap";
      const { jobId } = await connect(link, "io_cap", scenario);
      const entries = await waitFor(link, jobId, scenario, retrying);
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Error, S.PendingRetry]);
      assert.match(message(entries, S.Error), /link\.maxResponseBytes \(1048576 bytes\)/);
      await until(() => bank.connections.closed >= opened + 1, "the connection to be closed");
      // Read in chunks and cut at the cap: what the bank got out is the cap plus what the two
      // sockets' kernel buffers hold, nowhere near what an unbounded read takes in one second.
      assert.ok(written < 16 * MiB, `the bank wrote ${written} bytes`);
    });

    test("an answer declaring a Content-Length over the cap is refused before its body is read", async () => {
      bank.handler = (_, response) => {
        response.writeHead(200, { "content-length": String(64 * MiB) });
        response.write("{");
      };
      const scenario = "link io: declared length over the cap";
      const { jobId } = await connect(link, "io_length", scenario);
      const entries = await waitFor(link, jobId, scenario, retrying);
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Error, S.PendingRetry]);
      assert.match(message(entries, S.Error), /link\.maxResponseBytes/);
    });

    test("a redirect loop ends after link.maxRedirects + 1 requests with Error naming the setting", async () => {
      let hops = 0;
      bank.handler = (_, response) => {
        hops += 1;
        response.writeHead(302, { location: `/api/login?hop=${hops}` }).end();
      };
      const scenario = "link io: redirect loop";
      const { jobId } = await connect(link, "io_loop", scenario);
      const entries = await waitFor(link, jobId, scenario, retrying);
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Error, S.PendingRetry]);
      assert.match(message(entries, S.Error), /link\.maxRedirects \(5\)/);
      assert.equal(hops, 6, "the default 5 redirects are followed, the 6th answer is not");
    });

    test("a redirect is followed: POST becomes GET on 303, and the login goes on", async () => {
      bank.handler = (request, response) => {
        if (request.url === "/api/login")
          return void response.writeHead(303, { location: "/api/login-done" }).end();
        if (request.url === "/api/login-done") return void response.end(JSON.stringify({ next: "accounts" }));
        response.end(JSON.stringify({ accounts: [] }));
      };
      const before = bank.requests.length;
      const scenario = "link io: redirect followed";
      const { jobId } = await connect(link, "io_redirect", scenario);
      const entries = await waitFor(link, jobId, scenario, endsWith(S.NoAccounts));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.NoAccounts]);
      const seen = bank.requests.slice(before).map((r) => `${r.method} ${r.url}`);
      assert.deepEqual(seen, ["POST /api/login", "GET /api/login-done", "GET /api/accounts"]);
    });

    test("a body dripping one byte at a time ends at link.connectorTimeoutMs, its connection closed", async () => {
      const drips: NodeJS.Timeout[] = [];
      bank.handler = (_, response) => {
        response.writeHead(200, { "content-type": "application/json" });
        drips.push(setInterval(() => response.destroyed || response.write(" "), 100));
      };
      const opened = bank.connections.opened;
      const closed = bank.connections.closed;
      const started = Date.now();
      const scenario = "link io: slow drip";
      try {
        const { jobId } = await connect(link, "io_drip", scenario);
        const entries = await waitFor(link, jobId, scenario, retrying);
        assert.deepEqual(codes(entries), [S.Register, S.Starting, S.ConnectionTimeout, S.PendingRetry]);
        await until(() => bank.connections.closed > closed, "the dripping connection to be closed", 5000);
        assert.equal(bank.connections.opened, opened + 1);
        assert.ok(Date.now() - started < 10_000);
      } finally {
        for (const drip of drips) clearInterval(drip);
      }
    });
  });
}
