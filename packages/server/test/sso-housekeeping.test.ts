import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { ssoModelsSweep } from "../src/housekeeping/sweep-sso-models.ts";
import { adapterFor } from "../src/sso/provider/oidc-adapter.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * oidc-provider's rows (sso_models) past their expiry are deleted by the housekeeping rounds, in
 * bounded batches like every other kind; what is still valid (or only consumed) stays.
 */
const newId = () => randomBytes(32).toString("base64url");

for (const backend of backends) {
  suite(`SSO housekeeping (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const count = async (tenantId: string) =>
      Number(
        (
          await s.server.ctx.database.db
            .selectFrom("sso_models")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("tenant_id", "=", tenantId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    test("a round deletes expired codes, tokens and sessions (consumed or not) and keeps the rest", async () => {
      const { tenant } = await s.tenant();
      const Adapter = adapterFor(s.server.ctx, tenant.id);
      const codes = new Adapter("AuthorizationCode");
      const tokens = new Adapter("AccessToken");
      const consumedCode = newId();
      await codes.upsert(consumedCode, { jti: consumedCode, grantId: newId() }, 60);
      await codes.consume(consumedCode);
      for (let i = 0; i < 3; i++) await codes.upsert(newId(), { grantId: newId() }, 60);
      const livingToken = newId();
      await tokens.upsert(livingToken, { grantId: newId() }, 600);

      s.clock.advance(59_999);
      assert.equal((await runHousekeepingRound(s.server.ctx, s.clock.now())).deleted.sso_models, 0);
      assert.equal(await count(tenant.id), 5);
      s.clock.advance(1);
      const round = await runHousekeepingRound(s.server.ctx, s.clock.now());
      assert.equal(
        round.deleted.sso_models,
        4,
        "the consumed code and three unconsumed ones, at their expiry",
      );
      assert.equal(await count(tenant.id), 1);
      assert.ok(await tokens.find(livingToken));
    });

    test("a backlog is deleted in bounded batches, the rest in the next round", async () => {
      const { tenant } = await s.tenant();
      const sessions = new (adapterFor(s.server.ctx, tenant.id))("Session");
      for (let i = 0; i < 7; i++) await sessions.upsert(newId(), { uid: newId() }, 1);
      s.clock.advance(1000);
      // A tiny budget, so that 7 rows need more than one round (the default is 500 x 100).
      const ctx = s.server.ctx;
      assert.equal(await ssoModelsSweep.run(ctx, s.clock.now(), { batchSize: 2, maxBatches: 2 }), 4);
      assert.equal(await count(tenant.id), 3);
      assert.equal(await ssoModelsSweep.run(ctx, s.clock.now(), { batchSize: 2, maxBatches: 2 }), 3);
      assert.equal(await count(tenant.id), 0);
    });
  });
}
