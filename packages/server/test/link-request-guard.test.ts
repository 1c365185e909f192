import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { claimJob } from "../src/link/jobs/claim-job.ts";
import { findJob } from "../src/link/jobs/job-store.ts";
import { SWITCH_READ_MS } from "../src/link/jobs/request-guard.ts";
import { ensureSiteSlots } from "../src/link/jobs/site-slots.ts";
import type { Site } from "../src/link/sites/site.ts";
import { insertSite, replaceSite } from "../src/link/sites/site-store.ts";
import { outboundDns } from "../src/net/checked-lookup.ts";
import { jobWrites } from "./helpers/job-writes.ts";
import { codes, endsWith, type LinkSetup, startLinkServer, until, waitFor } from "./helpers/link.ts";
import { ofxSite } from "./helpers/ofx-replay-server.ts";
import { type SiteServer, siteServer } from "./helpers/site-servers.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * What a run sends an operator-added site, end to end through the worker: a sign-on (the user's
 * login and password) never leaves the site's origin on a redirect; no byte of a request goes out
 * once the lease lapsed during the name lookup or the connect; a site switched off between two
 * requests of one step gets no second one.
 */

/** A TCP listener that keeps every byte it receives: what "nothing was sent" is checked against. */
interface RawListener {
  readonly port: number;
  readonly connections: { opened: number; closed: number };
  received(): string;
  close(): Promise<void>;
}

async function rawListener(host: string): Promise<RawListener> {
  const chunks: Buffer[] = [];
  const connections = { opened: 0, closed: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections.opened += 1;
    sockets.add(socket);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      connections.closed += 1;
      sockets.delete(socket);
    });
  });
  server.listen(0, host);
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    received: () => Buffer.concat(chunks).toString("latin1"),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

for (const backend of backends) {
  suite(`Link requests to an operator site (${backend})`, () => {
    let link: LinkSetup;
    const closers: (() => Promise<void>)[] = [];
    let counter = 0;
    before(async () => {
      link = await startLinkServer(backend, {
        // The test sites listen on loopback, which operator sites reach only with this setting.
        "link.siteAllowPrivateNetworks": true,
        // The production connector timeout: the link tests' 1 s would end a gated lookup itself.
        "link.connectorTimeoutMs": 30_000,
      });
    });
    after(async () => {
      await link.server.close();
      await Promise.all(closers.map((close) => close()));
    });

    async function bankServer(): Promise<SiteServer> {
      const server = await siteServer();
      closers.push(() => server.close());
      return server;
    }

    async function storedSite(url: string): Promise<Site> {
      counter += 1;
      const site: Site = { ...ofxSite(url), id: `guarded-${backend}-${counter}` };
      const { db } = link.server.server.ctx.database;
      assert.equal(await insertSite(db, site, link.server.clock.now()), true);
      await ensureSiteSlots(db, [site]);
      return site;
    }

    async function connectTo(site: Site, scenario: string, login: string, password: string) {
      const response = await link.server.api("POST", "/v1/link/credentials", {
        apiKey: link.apiKey,
        body: { username: link.username, site: site.id, fields: { login, password } },
        scenario,
      });
      assert.equal(response.body.errorCode, 0, JSON.stringify(response.body));
      return (response.body.job as { id: string }).id;
    }

    test("a sign-on redirected (307, 308) to another host: Error, and that host receives nothing of the login or password", async () => {
      const elsewhere = await rawListener("localhost");
      closers.push(() => elsewhere.close());
      const bank = await bankServer();
      for (const status of [307, 308]) {
        bank.handler = (_, response) =>
          response.writeHead(status, { location: `http://localhost:${elsewhere.port}/steal` }).end();
        const scenario = `link guard: sign-on redirected by ${status}`;
        const site = await storedSite(new URL("/ofx", bank.url).toString());
        const [login, password] = [`login-${status}-jo`, `password-${status}-hunter2`];
        const jobId = await connectTo(site, scenario, login, password);
        const entries = await waitFor(link, jobId, scenario, endsWith(S.PendingRetry));
        assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Error, S.PendingRetry]);
        const error = String(entries.find((e) => e.code === S.Error)?.message);
        assert.match(error, new RegExp(`answered ${status} to a POST with a redirect to another origin`));
        assert.ok(bank.requests.at(-1)?.body.includes(login), "the site itself got the sign-on");
        const received = elsewhere.received();
        assert.ok(!received.includes(login) && !received.includes(password), "no credential elsewhere");
        assert.deepEqual([received, elsewhere.connections.opened], ["", 0], "not even a connection");
      }
    });

    test("a lease that lapses while the site's name is looked up: the connection opens, not one byte of the request is sent, nothing is written", async () => {
      const bank = await rawListener("127.0.0.1");
      closers.push(() => bank.close());
      const host = `gated-bank-${backend}.test`;
      const site = await storedSite(`http://${host}:${bank.port}/ofx`);
      // The site's name is looked up through the address check's resolver; this one answers only
      // once the test opens the gate, so the run is held between its lease check and the connect.
      const resolve = outboundDns.resolve;
      let lookingUp = () => {};
      const lookup = new Promise<void>((resolve) => {
        lookingUp = resolve;
      });
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      outboundDns.resolve = async (name) => {
        if (name !== host) return resolve(name);
        lookingUp();
        await gate;
        return [{ address: "127.0.0.1", family: 4 }];
      };
      try {
        const scenario = "link guard: lease lapsed during the lookup";
        const jobId = await connectTo(site, scenario, "jo", "pin-1234");
        await lookup;
        const { ctx } = link.server.server;
        const { db } = ctx.database;
        const held = await findJob(db, jobId);
        const expires = held?.lease_expires_at ?? assert.fail("the job runs under a lease");
        // The lease lapses (as for a process paused right here) and another process takes the job.
        link.server.clock.advance(expires - link.server.clock.now() + 1);
        const now = link.server.clock.now();
        const other = await claimJob(db, jobId, "another-process", now, ctx.config.link.leaseSeconds * 1000);
        assert.ok(other, "the other process holds the job");
        const writes = await jobWrites(db);

        open();
        await until(
          () => bank.connections.closed === 1 || bank.received() !== "",
          "the connection to be closed or a request to arrive",
        );
        assert.equal(bank.received(), "", "not one byte of the request reached the site");
        assert.equal(bank.connections.opened, 1, "the run did connect: the check came after the connect");
        await until(() => ctx.link.runningJobs === 0, "the run to stop");
        assert.deepEqual(await jobWrites(db), writes, "the run wrote nothing");
      } finally {
        outboundDns.resolve = resolve;
        open();
      }
    });

    test("a site switched off between two requests of one step gets no second request; the job ends 501", async () => {
      const bank = await bankServer();
      const site = await storedSite(new URL("/ofx", bank.url).toString());
      const { db } = link.server.server.ctx.database;
      bank.handler = (_, response) => {
        void (async () => {
          // The operator switches the site off while its first request is answered; the redirect
          // on the same origin is the step's second request. Once the switch's last reading is
          // older than SWITCH_READ_MS, the next request reads it again.
          assert.equal(await replaceSite(db, { ...site, enabled: false }, link.server.clock.now()), true);
          link.server.clock.advance(SWITCH_READ_MS);
          response.writeHead(307, { location: "/ofx-again" }).end();
        })();
      };
      const scenario = "link guard: switched off between two requests";
      const jobId = await connectTo(site, scenario, "jo", "pin-1234");
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Unavailable));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Unavailable]);
      assert.equal(entries.at(-1)?.message, "the site is switched off by the operator");
      assert.deepEqual(
        bank.requests.map((r) => `${r.method} ${r.url}`),
        ["POST /ofx"],
        "the redirect was never followed",
      );
    });
  });
}
