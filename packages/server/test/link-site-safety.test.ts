import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import { sql } from "kysely";
import type { ServerContext } from "../src/app/server-context.ts";
import { saveCredential } from "../src/link/credentials/credential-store.ts";
import { loginHash } from "../src/link/credentials/login-lookup.ts";
import { credentialFields, sealJson } from "../src/link/link-secrets.ts";
import { findSite } from "../src/link/sites/site-directory.ts";
import { importSite } from "../src/link/sites/site-import.ts";
import type { NewSiteInput } from "../src/link/sites/site-input.ts";
import { storedSite } from "../src/link/sites/site-store.ts";
import { addSite, removeSite, updateSite } from "../src/link/sites/site-writes.ts";
import { type LinkSetup, lastCode, siteBody, startLinkServer, until, waitFor } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Findings of the security review of Link sites: a credential never outlives its site and never
 * follows a reused site id to another tenant's server; a tenant's sites are capped; an import
 * with --update changes only what the file gives.
 */
const ca = readFileSync(new URL("./fixtures/tls/test-ca.pem", import.meta.url), "utf8");
const siteInput = (id: string, url = "https://ofx.acmefcu.example/ofx") =>
  siteBody(id, { url }) as unknown as NewSiteInput;

async function userIdOf(ctx: ServerContext, tenantId: string, username: string): Promise<string> {
  const row = await ctx.database.db
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function tenantIdOf(link: LinkSetup): Promise<string> {
  const me = await link.server.server.ctx.database.db
    .selectFrom("tenants")
    .select("id")
    .executeTakeFirstOrThrow();
  return me.id;
}

/** Credentials whose site row is gone (shared and tenant sites are stored; the Sandbox Bank's are not). */
async function orphans(ctx: ServerContext, siteId: string): Promise<number> {
  const rows = await ctx.database.db
    .selectFrom("link_credentials")
    .select("id")
    .where("site_id", "=", siteId)
    .where((eb) => eb.not(eb.exists(eb.selectFrom("link_sites").select("id").where("id", "=", siteId))))
    .execute();
  return rows.length;
}

for (const backend of backends) {
  suite(`Link site safety (${backend})`, () => {
    test("a site removed after connect looked it up takes no credential: the save re-checks it", async () => {
      const link = await startLinkServer(backend);
      try {
        const { ctx } = link.server.server;
        const tenantId = await tenantIdOf(link);
        const userId = await userIdOf(ctx, tenantId, link.username);
        const site = await addSite(ctx, siteInput("removed-meanwhile"), null);
        // connectCredential looked the site up; the operator removes it before the save.
        const found = await findSite(ctx, tenantId, site.id);
        assert.ok(found);
        assert.equal(await removeSite(ctx, site), true);
        await assert.rejects(
          saveCredential(ctx, {
            tenantId,
            userId,
            site: found,
            login: "victim",
            fields: { login: "victim", password: "secret" },
            now: ctx.clock.now(),
          }),
          (error: Error & { code?: number }) => error.code === TesseraApiCode.NotFound,
        );
        assert.equal(await orphans(ctx, site.id), 0);
      } finally {
        await link.server.close();
      }
    });

    test("a credential whose site id another tenant took never sends its login there; the job ends", async () => {
      const received: string[] = [];
      const attackerServer = createServer(async (request, response) => {
        let body = "";
        for await (const chunk of request) body += chunk;
        received.push(body);
        response.end();
      });
      attackerServer.listen(0, "127.0.0.1");
      await once(attackerServer, "listening");
      const port = (attackerServer.address() as AddressInfo).port;
      // Loosened for this test: both the Sandbox Bank's OFX server and the attacker's listen on loopback.
      const link = await startLinkServer(backend, { "link.siteAllowPrivateNetworks": true });
      try {
        const scenario = "sites: id taken over";
        const { ctx } = link.server.server;
        const tenantId = await tenantIdOf(link);
        const attacker = await link.server.tenant();
        const url = new URL("/ofx", ctx.link.sandboxUrl).toString();
        await addSite(ctx, { ...siteInput("freed-id", url), options: { org: "SANDBOX", fid: "9999" } }, null);
        const connected = await link.server.api("POST", "/v1/link/credentials", {
          apiKey: link.apiKey,
          scenario,
          body: {
            username: link.username,
            site: "freed-id",
            fields: { login: "user_good", password: "sandbox" },
          },
        });
        assert.equal(connected.status, 201, JSON.stringify(connected.body));
        const credentialId = (connected.body.credential as { id: string }).id;
        await waitFor(
          link,
          (connected.body.job as { id: string }).id,
          scenario,
          (entries) => (lastCode(entries) ?? 0) >= 200 && lastCode(entries) !== S.Pending,
        );
        // However that first sync ended, no job of the credential is left to run.
        await ctx.database.db.deleteFrom("link_jobs").where("credential_id", "=", credentialId).execute();
        // A credential orphaned as before the fix (its site row deleted under it).
        await ctx.database.db.deleteFrom("link_sites").where("id", "=", "freed-id").execute();
        const taken = await link.server.api("POST", "/v1/link/sites", {
          apiKey: attacker.apiKey,
          scenario,
          body: siteBody("freed-id", { url: `http://127.0.0.1:${port}/ofx` }),
        });
        assert.equal(taken.status, 201, "the id is free again: the attacker's own site");
        assert.equal(await findSite(ctx, tenantId, "freed-id"), undefined, "not offered to the victim");
        link.server.clock.advance(86_400_000);
        const sync = await link.server.api("POST", `/v1/link/credentials/${credentialId}/sync`, {
          apiKey: link.apiKey,
          scenario,
        });
        assert.equal(sync.status, 201, JSON.stringify(sync.body));
        const entries = await waitFor(
          link,
          (sync.body.job as { id: string }).id,
          scenario,
          (e) => (lastCode(e) ?? 0) >= 200 && lastCode(e) !== S.Pending,
        );
        assert.deepEqual(received, [], "the attacker's server received nothing");
        assert.equal(lastCode(entries), S.Error);
        assert.match(JSON.stringify(entries.at(-1)), /not offered/);
      } finally {
        await link.server.close();
        attackerServer.close();
      }
    });

    test("a tenant's sites are capped (link.maxSitesPerTenant): a burst at the cap adds exactly the free places", async () => {
      const link = await startLinkServer(backend);
      try {
        const scenario = "sites: per-tenant cap";
        const { ctx } = link.server.server;
        const cap = ctx.config.link.maxSitesPerTenant;
        const post = (id: string, apiKey = link.apiKey) =>
          link.server.api("POST", "/v1/link/sites", { apiKey, scenario, body: siteBody(id) });
        // The operator's shared sites do not count against a tenant.
        await addSite(ctx, siteInput("shared-one"), null);
        for (let i = 0; i < cap - 5; i++) assert.equal((await post(`own-${i}`)).status, 201);
        const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`burst-${i}`)));
        const statuses = burst.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 201).length, 5, JSON.stringify(statuses));
        for (const refused of burst.filter((r) => r.status !== 201)) {
          assert.equal(refused.status, 409);
          assert.equal(refused.body.errorCode, TesseraApiCode.SiteLimitReached);
          assert.match(refused.body.errorMessage, /link\.maxSitesPerTenant/);
        }
        const other = await link.server.tenant();
        assert.equal(
          (await post("other-tenant-site", other.apiKey)).status,
          201,
          "another tenant is not held",
        );
        // A deleted site frees its place.
        assert.equal(
          (await link.server.api("DELETE", "/v1/link/sites/own-0", { apiKey: link.apiKey, scenario })).status,
          200,
        );
        const withCa = await link.server.api("POST", "/v1/link/sites", {
          apiKey: link.apiKey,
          scenario,
          body: siteBody("after-delete", { tls: { ca } }),
        });
        assert.equal(withCa.status, 201, JSON.stringify(withCa.body));
        assert.equal((await post("one-too-many")).status, 409);
        // The list pages in the database and still says which sites have their own CA.
        const page = await link.server.api("GET", "/v1/link/sites?limit=2", {
          apiKey: link.apiKey,
          scenario,
        });
        assert.equal((page.body.sites as unknown[]).length, 2);
        assert.equal(typeof page.body.nextCursor, "string");
        const all = await link.server.api("GET", "/v1/link/sites?limit=200", {
          apiKey: link.apiKey,
          scenario,
        });
        const customCa = (id: string) =>
          (all.body.sites as { id: string; tls: { customCa: boolean } }[]).find((s) => s.id === id)?.tls
            .customCa;
        assert.equal(customCa("after-delete"), true);
        assert.equal(customCa("own-1"), false);
      } finally {
        await link.server.close();
      }
    });

    test("import --update changes only what the file gives: the kill switch, windows and CA stay", async () => {
      const link = await startLinkServer(backend);
      try {
        const { ctx } = link.server.server;
        const window = { kind: "weekly", days: ["sun"], start: "01:00", end: "04:00", timeZone: "UTC" };
        const base = siteBody("merged-on-import") as Record<string, unknown>;
        const site = await addSite(
          ctx,
          { ...base, maintenance: [window], tls: { ca } } as unknown as NewSiteInput,
          null,
        );
        await updateSite(ctx, site, { enabled: false });
        const row = { where: "line 2", candidate: { ...base, name: "Renamed" } };
        const result = await importSite(ctx, row, null, { update: true, dryRun: false });
        assert.equal(result.outcome, "updated");
        const stored = await storedSite(ctx.database.db, "merged-on-import");
        assert.equal(stored?.name, "Renamed");
        assert.equal(stored?.enabled, false, "the kill switch stays on");
        assert.equal(stored?.maintenance.length, 1, "the maintenance windows stay");
        assert.equal(stored?.tls?.ca, ca, "the CA stays");
        const again = await importSite(ctx, row, null, { update: false, dryRun: false });
        assert.equal(again.outcome, "unchanged", "what the file gives is what is stored");
        const on = await importSite(ctx, { where: "line 3", candidate: { ...base, enabled: true } }, null, {
          update: true,
          dryRun: false,
        });
        assert.equal(on.outcome, "updated");
        assert.equal(
          (await storedSite(ctx.database.db, "merged-on-import"))?.enabled,
          true,
          "a given value holds",
        );
      } finally {
        await link.server.close();
      }
    });
  });
}

suite("Link site removal racing a connect (postgres)", { skip: !backends.includes("postgres") }, () => {
  test("a removal waits for a credential being saved and then refuses (SiteInUse): no orphan", async () => {
    const link = await startLinkServer("postgres");
    let rollBack = () => {};
    try {
      const { ctx } = link.server.server;
      const { db } = ctx.database;
      const tenantId = await tenantIdOf(link);
      const userId = await userIdOf(ctx, tenantId, link.username);
      const site = await addSite(ctx, siteInput("raced"), null);
      const found = await findSite(ctx, tenantId, site.id);
      assert.ok(found);
      const waiting = async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and datname = current_database()`.execute(db);
        return rows[0]?.n ?? 0;
      };
      // A transaction holds an uncommitted row with the same key, so the save's insert waits on it:
      // the steps interleave in a fixed order instead of racing.
      const held = new Promise<void>((resolve) => {
        rollBack = resolve;
      });
      const id = randomUUID();
      const blocker = db
        .transaction()
        .execute(async (trx) => {
          await trx
            .insertInto("link_credentials")
            .values({
              id,
              tenant_id: tenantId,
              user_id: userId,
              site_id: site.id,
              login_hash: loginHash(ctx.keys, ctx.keys.activeKeyId, tenantId, site.id, "victim"),
              fields_enc: sealJson(ctx.keys, credentialFields, id, { login: "victim", password: "x" }),
              status: S.Register,
              last_job_id: null,
              last_sync_at: null,
              synced_until: null,
              created_at: 0,
              updated_at: 0,
            })
            .execute();
          await held;
          throw new Error("rolled back");
        })
        .catch(() => {});
      const save = saveCredential(ctx, {
        tenantId,
        userId,
        site: found,
        login: "victim",
        fields: { login: "victim", password: "secret" },
        now: ctx.clock.now(),
      });
      await until(async () => (await waiting()) >= 1, "the save to wait for the held row");
      let removed: "pending" | "done" | "failed" = "pending";
      const removal = removeSite(ctx, site).then(
        (value) => {
          removed = "done";
          return value;
        },
        (error: unknown) => {
          removed = "failed";
          throw error;
        },
      );
      await until(
        async () => removed !== "pending" || (await waiting()) >= 2,
        "the removal to finish or wait",
      );
      rollBack();
      await blocker;
      const saved = await save;
      assert.equal(saved.isNew, true);
      await assert.rejects(
        removal,
        (error: Error & { code?: number }) => error.code === TesseraApiCode.SiteInUse,
      );
      assert.equal(await orphans(ctx, site.id), 0);
    } finally {
      rollBack();
      await link.server.close();
    }
  });
});

for (const backend of backends) {
  test(`a stored site whose slot rows went missing gets them back at start, so its jobs can be claimed (${backend})`, async () => {
    const link = await startLinkServer(backend);
    try {
      const { ctx } = link.server.server;
      const { db } = ctx.database;
      const slots = () =>
        db.selectFrom("link_site_slots").select("slot").where("site_id", "=", "slotless-bank").execute();
      await addSite(ctx, { ...siteInput("slotless-bank"), maxConcurrency: 3 }, null);
      assert.equal((await slots()).length, 3, "added with its slot rows");
      // A write cut short, or a restore of part of the database, leaves the site without them.
      await db.deleteFrom("link_site_slots").where("site_id", "=", "slotless-bank").execute();
      await ctx.link.start(ctx, { worker: false });
      assert.deepEqual((await slots()).map((row) => row.slot).sort(), [0, 1, 2]);
    } finally {
      await link.server.close();
    }
  });
}
