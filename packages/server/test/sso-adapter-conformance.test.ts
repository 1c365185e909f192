import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { errors } from "oidc-provider";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { loadConfig } from "../src/config/load-config.ts";
import { adapterFor } from "../src/sso/provider/oidc-adapter.ts";
import { createTenant } from "../src/tenants/tenant-store.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

/**
 * The storage adapter oidc-provider keeps every SSO artefact in (sso/provider/oidc-adapter.ts),
 * checked like the rest of storage: the same suite on SQLite and PostgreSQL.
 */
const newId = () => randomBytes(32).toString("base64url");

for (const backend of backends) {
  suite(`SSO storage adapter conformance (${backend})`, () => {
    let database: TestDatabase;
    let ctx: ServerContext;
    const clock = new ManualClock();
    let tenantA = "";
    let tenantB = "";
    before(async () => {
      database = await createTestDatabase(backend);
      ctx = await openServerContext(
        loadConfig({
          env: {},
          flags: { dataDir: database.dataDir, databaseUrl: database.databaseUrl, logLevel: "silent" },
        }),
        { clock },
      );
      tenantA = (await createTenant(ctx.database.db, "adapter-a", clock.now())).id;
      tenantB = (await createTenant(ctx.database.db, "adapter-b", clock.now())).id;
    });
    after(async () => {
      await ctx.close();
      await database.drop();
    });

    const adapter = (tenantId: string, model: string) => new (adapterFor(ctx, tenantId))(model);
    const rowsOf = (grantId: string) =>
      ctx.database.db.selectFrom("sso_models").select("model").where("grant_id", "=", grantId).execute();

    /** A grant as oidc-provider leaves it after a code was issued: the Grant, its code and an access token. */
    async function issuedGrant(tenantId: string) {
      const grantId = newId();
      const codeId = newId();
      const tokenId = newId();
      await adapter(tenantId, "Grant").upsert(grantId, { jti: grantId, kind: "Grant", clientId: "c1" }, 600);
      await adapter(tenantId, "AuthorizationCode").upsert(
        codeId,
        { jti: codeId, kind: "AuthorizationCode", grantId, clientId: "c1" },
        60,
      );
      await adapter(tenantId, "AccessToken").upsert(
        tokenId,
        { jti: tokenId, kind: "AccessToken", grantId, clientId: "c1" },
        600,
      );
      return { grantId, codeId, tokenId };
    }

    test("upsert, find, findByUid, findByUserCode and destroy; the id and payload are not stored in the clear", async () => {
      const id = newId();
      const uid = newId();
      const userCode = "BCDF-GHJK";
      const sessions = adapter(tenantA, "Session");
      // Account ids with '@' and '.': characters no base64url ciphertext or hex digest contains, so
      // finding one in the raw rows below means it was stored in the clear, never a chance match
      // ("bob" turned up inside a random ciphertext now and then).
      await sessions.upsert(id, { jti: id, kind: "Session", uid, accountId: "alice@example.test" }, 600);
      assert.equal((await sessions.find(id))?.accountId, "alice@example.test");
      assert.equal((await sessions.findByUid(uid))?.jti, id);
      await sessions.upsert(id, { jti: id, kind: "Session", uid, accountId: "bob@example.test" }, 600);
      assert.equal(
        (await sessions.find(id))?.accountId,
        "bob@example.test",
        "an upsert replaces the payload",
      );

      const devices = adapter(tenantA, "DeviceCode");
      await devices.upsert(id, { jti: id, kind: "DeviceCode", userCode, grantId: newId() }, 600);
      assert.equal((await devices.findByUserCode(userCode))?.jti, id);
      assert.equal(await devices.findByUserCode("BCDF-GHJX"), undefined);
      assert.equal((await sessions.find(id))?.kind, "Session", "the same id of two models are two rows");

      const raw = JSON.stringify(await ctx.database.db.selectFrom("sso_models").selectAll().execute());
      for (const secret of [id, uid, userCode, "alice@example.test", "bob@example.test"])
        assert.ok(!raw.includes(secret), secret);

      await sessions.destroy(id);
      assert.equal(await sessions.find(id), undefined);
      assert.equal(await sessions.findByUid(uid), undefined);
      assert.equal((await devices.find(id))?.kind, "DeviceCode", "destroy removes one model's row");
    });

    test("rows expire by the server clock: at its expiry a row is reported with an exp every clock has passed", async () => {
      const id = newId();
      const codes = adapter(tenantA, "AuthorizationCode");
      const exp = Math.floor(Date.now() / 1000) + 60;
      await codes.upsert(id, { jti: id, kind: "AuthorizationCode", grantId: newId(), exp }, 60);
      clock.advance(59_999);
      assert.equal((await codes.find(id))?.exp, exp);
      clock.advance(1);
      // oidc-provider reads the system clock: an exp of 1 is expired to it, swept or not.
      assert.equal((await codes.find(id))?.exp, 1);
    });

    test("a re-save with no time left (oidc-provider passes exp - now) is stored as expired, not as eternal", async () => {
      const id = newId();
      const codes = adapter(tenantA, "DeviceCode");
      const exp = Math.floor(Date.now() / 1000) - 5;
      await codes.upsert(id, { jti: id, kind: "DeviceCode", grantId: newId(), exp }, -5);
      assert.equal((await codes.find(id))?.exp, 1);
      const row = await ctx.database.db
        .selectFrom("sso_models")
        .select("expires_at")
        .where("model", "=", "DeviceCode")
        .where("id_hash", "=", createHash("sha256").update(id).digest("base64url"))
        .executeTakeFirstOrThrow();
      assert.ok(row.expires_at !== null && Number(row.expires_at) <= clock.now(), "the sweeper deletes it");
    });

    test("consume is a compare-and-set: the second consume revokes the whole grant and throws invalid_grant", async () => {
      const { grantId, codeId, tokenId } = await issuedGrant(tenantA);
      const codes = adapter(tenantA, "AuthorizationCode");
      await codes.consume(codeId);
      const consumed = await codes.find(codeId);
      assert.equal(consumed?.consumed, Math.floor(clock.now() / 1000));
      await assert.rejects(codes.consume(codeId), errors.InvalidGrant);
      assert.deepEqual(await rowsOf(grantId), []);
      assert.equal(await adapter(tenantA, "AccessToken").find(tokenId), undefined);
      assert.equal(
        await adapter(tenantA, "Grant").find(grantId),
        undefined,
        "the Grant goes too: tokens its winner saves after the revocation are refused (no grant)",
      );
    });

    test("20 racing consumes of one code: exactly one succeeds", async () => {
      const { codeId, grantId } = await issuedGrant(tenantA);
      const codes = adapter(tenantA, "AuthorizationCode");
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => codes.consume(codeId)));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results)
        if (r.status === "rejected") assert.ok(r.reason instanceof errors.InvalidGrant, String(r.reason));
      assert.equal(await adapter(tenantA, "Grant").find(grantId), undefined);
    });

    test("revokeByGrantId removes every artefact of that grant and of no other", async () => {
      const one = await issuedGrant(tenantA);
      const other = await issuedGrant(tenantA);
      await adapter(tenantA, "RefreshToken").revokeByGrantId(one.grantId);
      assert.deepEqual(await rowsOf(one.grantId), []);
      assert.equal(await adapter(tenantA, "AuthorizationCode").find(one.codeId), undefined);
      assert.equal((await rowsOf(other.grantId)).length, 2);
      assert.ok(await adapter(tenantA, "AccessToken").find(other.tokenId));
    });

    test("tenant isolation: tenant B's adapter never sees, consumes, replaces or deletes tenant A's rows", async () => {
      const { grantId, codeId, tokenId } = await issuedGrant(tenantA);
      const uid = newId();
      const userCode = "WXYZ-BCDF";
      const deviceId = newId();
      await adapter(tenantA, "DeviceCode").upsert(
        deviceId,
        { jti: deviceId, kind: "DeviceCode", uid, userCode, grantId },
        600,
      );
      const codesB = adapter(tenantB, "AuthorizationCode");
      const devicesB = adapter(tenantB, "DeviceCode");
      assert.equal(await codesB.find(codeId), undefined);
      assert.equal(await devicesB.findByUid(uid), undefined);
      assert.equal(await devicesB.findByUserCode(userCode), undefined);
      await assert.rejects(codesB.consume(codeId), errors.InvalidGrant);
      await adapter(tenantB, "AccessToken").upsert(
        tokenId,
        { jti: tokenId, kind: "AccessToken", grantId },
        600,
      );
      await adapter(tenantB, "AccessToken").destroy(tokenId);
      await codesB.revokeByGrantId(grantId);
      await adapter(tenantB, "Grant").destroy(grantId);

      const codeA = await adapter(tenantA, "AuthorizationCode").find(codeId);
      assert.ok(codeA !== undefined && codeA.consumed === undefined, "A's code is intact and unconsumed");
      assert.equal((await adapter(tenantA, "AccessToken").find(tokenId))?.grantId, grantId);
      assert.ok(await adapter(tenantA, "Grant").find(grantId));
      assert.ok(await adapter(tenantA, "DeviceCode").findByUserCode(userCode));
    });
  });
}
