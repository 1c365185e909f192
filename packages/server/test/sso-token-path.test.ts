import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { sql } from "kysely";
import * as oidc from "openid-client";
import { secretSealedAs } from "../src/sso/apps/app-store.ts";
import { upsertModel } from "../src/sso/provider/sso-model-queries.ts";
import { updateTenant } from "../src/tenants/tenant-store.ts";
import { createTestApp, relyingParty, tokenRequest } from "./helpers/sso-grant-fixtures.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The token endpoint's hot path (docs/performance.md, "#12 SSO"): what it no longer repeats on
 * every grant, and that skipping it changes nothing a client can observe.
 */
for (const backend of backends) {
  suite(`SSO token path (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    before(async () => {
      s = await startTestServer(backend);
      tenantId = (await s.tenant()).tenant.id;
    });
    after(() => s.close());

    test("an app's secret is opened once per version of its row; a change under a stopped clock, a rotation and a deletion still act at once", async () => {
      const { ctx } = s.server;
      const app = await createTestApp(s, tenantId, {
        grantTypes: ["client_credentials"],
        scopes: "openid email",
      });
      let opened = 0;
      const decrypt = ctx.keys.decrypt;
      ctx.keys.decrypt = (ciphertext, associatedData) => {
        if (associatedData === secretSealedAs(app.clientId)) opened += 1;
        return decrypt.call(ctx.keys, ciphertext, associatedData);
      };
      try {
        for (let i = 0; i < 3; i += 1) {
          const answer = await tokenRequest(app, { grant_type: "client_credentials", scope: "email" });
          assert.equal(answer.status, 200);
        }
        assert.equal(opened, 1, "the secret is opened for the first grant only");

        // The ManualClock does not move: updated_at stays the same, the row does not.
        const row = () => ctx.database.db.updateTable("sso_apps").where("client_id", "=", app.clientId);
        await row().set({ scopes: "openid" }).execute();
        const narrowed = await tokenRequest(app, { grant_type: "client_credentials", scope: "email" });
        assert.equal(narrowed.status, 400);
        assert.equal(narrowed.body.error, "invalid_scope");

        const rotated = "a-new-secret-of-enough-length-0123456789";
        await row()
          .set({ secret_enc: ctx.keys.encrypt(rotated, secretSealedAs(app.clientId)) })
          .execute();
        const old = await tokenRequest(app, { grant_type: "client_credentials" });
        assert.equal(old.status, 401);
        assert.equal(old.body.error, "invalid_client");
        const renewed = await tokenRequest(app, { grant_type: "client_credentials" }, rotated);
        assert.equal(renewed.status, 200);

        await ctx.database.db.deleteFrom("sso_apps").where("client_id", "=", app.clientId).execute();
        const gone = await tokenRequest(app, { grant_type: "client_credentials" }, rotated);
        assert.equal(gone.status, 401);
        assert.equal(gone.body.error, "invalid_client");
      } finally {
        ctx.keys.decrypt = decrypt;
      }
    });

    test("a burst of grants: every token is stored and usable; a write that fails in a shared commit fails alone", async () => {
      const app = await createTestApp(s, tenantId, { grantTypes: ["client_credentials"] });
      const rp = await relyingParty(app);
      const tokens = await Promise.all(Array.from({ length: 40 }, () => oidc.clientCredentialsGrant(rp)));
      assert.equal(new Set(tokens.map((t) => t.access_token)).size, 40);
      for (const t of tokens) assert.equal((await oidc.tokenIntrospection(rp, t.access_token)).active, true);

      // Queued in the same turn of the event loop: on SQLite they share one transaction.
      const upsert = upsertModel(s.server.ctx.database.db);
      const row = (id: string, tenant: string) => ({
        model: "Session",
        idHash: id,
        tenantId: tenant,
        payload_enc: "x",
        grant_id: null,
        client_id: null,
        account_id: null,
        user_code_hash: null,
        uid_hash: null,
        expires_at: null,
      });
      const runs = await Promise.allSettled([
        upsert(row("burst-a", tenantId)),
        upsert(row("burst-b", "no-such-tenant")),
        upsert(row("burst-c", tenantId)),
      ]);
      assert.deepEqual(
        runs.map((r) => r.status),
        ["fulfilled", "rejected", "fulfilled"],
      );
      const stored = await s.server.ctx.database.db
        .selectFrom("sso_models")
        .select("id_hash")
        .where("id_hash", "in", ["burst-a", "burst-b", "burst-c"])
        .orderBy("id_hash")
        .execute();
      assert.deepEqual(
        stored.map((r) => r.id_hash),
        ["burst-a", "burst-c"],
      );
    });

    test("a disabled or expired tenant has no issuer, nor does a tenant's name; re-enabled, it answers again", async () => {
      const { ctx } = s.server;
      const other = (await s.tenant()).tenant;
      const app = await createTestApp(s, other.id, { grantTypes: ["client_credentials"] });
      const discovery = (tenant: string) =>
        fetch(new URL(`/oidc/${tenant}/.well-known/openid-configuration`, s.url));
      assert.equal((await discovery(other.id)).status, 200);
      assert.equal((await tokenRequest(app, { grant_type: "client_credentials" })).status, 200);
      assert.equal((await discovery(other.name)).status, 404);

      const now = ctx.clock.now();
      for (const settings of [{ disabled: true }, { disabled: false, expiresAt: now }]) {
        await updateTenant(ctx.database.db, other.id, settings, now);
        const answer = await discovery(other.id);
        assert.equal(answer.status, 404, JSON.stringify(settings));
        assert.equal(((await answer.json()) as { errorName?: string }).errorName, "NotFound");
        assert.equal((await tokenRequest(app, { grant_type: "client_credentials" })).status, 404);
      }
      await updateTenant(ctx.database.db, other.id, { expiresAt: now + 60_000 }, now);
      assert.equal((await tokenRequest(app, { grant_type: "client_credentials" })).status, 200);
    });

    test("sso_models' grant, user-code, uid and client indexes hold only rows that have the column", async () => {
      const { db } = s.server.ctx.database;
      for (const name of [
        "sso_models_by_grant",
        "sso_models_by_user_code",
        "sso_models_by_uid",
        "sso_models_by_client",
      ]) {
        const definition =
          backend === "sqlite"
            ? await sql<{ d: string }>`select sql as d from sqlite_master where name = ${name}`.execute(db)
            : await sql<{
                d: string;
              }>`select indexdef as d from pg_indexes where indexname = ${name}`.execute(db);
        assert.match(String(definition.rows[0]?.d), /where .* is not null/i, name);
      }
      // Every grant-type flow still reaches its rows through them: the token of a
      // client-credentials grant is found, introspected and revoked with the app.
      const app = await createTestApp(s, tenantId, { grantTypes: ["client_credentials"] });
      const rp = await relyingParty(app);
      const tokens = await oidc.clientCredentialsGrant(rp);
      assert.equal((await oidc.tokenIntrospection(rp, tokens.access_token)).active, true);
      if (backend === "sqlite") {
        const plan = await sql<{ detail: string }>`explain query plan
          select 1 from sso_models where tenant_id = ${tenantId} and client_id = ${app.clientId}`.execute(db);
        assert.match(plan.rows.map((r) => r.detail).join(" "), /sso_models_by_client/);
      }
    });
  });
}
