import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { describe as suite, test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { runServer } from "../src/app/run-server.ts";
import type { ServerContext } from "../src/app/server-context.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { loginHash } from "../src/link/credentials/login-lookup.ts";
import { rehashLogins } from "../src/link/credentials/rehash-logins.ts";
import { credentialFields, sealJson } from "../src/link/link-secrets.ts";
import { KeyService } from "../src/secrets/key-service.ts";
import { createApiKey } from "../src/tenants/api-keys.ts";
import { createTenant } from "../src/tenants/tenant-store.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { insertCredentialRow } from "./helpers/credential-row.ts";
import { connect, endsWith, linkFlags, startLinkServer, timelineAt, waitFor } from "./helpers/link.ts";
import { runCli } from "./helpers/run-cli.ts";
import { backends, createTestDatabase } from "./helpers/test-database.ts";
import { testConfig } from "./helpers/test-server.ts";

/**
 * Credentials are found again by a keyed hash of tenant, site and site login (HMAC under a key
 * derived from the keyring), not by the plain SHA-256 of earlier releases, which a stolen database
 * let anyone test guessed bank logins against.
 */
const plainSha256 = (tenantId: string, siteId: string, login: string) =>
  createHash("sha256").update(`${tenantId}\n${siteId}\n${login}`).digest("base64url");

/** A credential row as a release before the keyed hash wrote it: plain SHA-256, login as `username`. */
async function insertOldRow(
  ctx: ServerContext,
  tenantId: string,
  username: string,
  login: string,
  options: { hash?: string; fieldsEnc?: string } = {},
) {
  const { db } = ctx.database;
  const user = await db
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  const id = randomUUID();
  const now = ctx.clock.now();
  await insertCredentialRow(db, {
    id,
    tenantId,
    userId: user.id,
    loginHash: options.hash ?? plainSha256(tenantId, "sandbox-bank", login),
    fieldsEnc:
      options.fieldsEnc ?? sealJson(ctx.keys, credentialFields, id, { username: login, password: "sandbox" }),
    status: S.Register,
    now,
  });
  return id;
}

async function storedHash(ctx: ServerContext, id: string): Promise<string> {
  const row = await ctx.database.db
    .selectFrom("link_credentials")
    .select("login_hash")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return row.login_hash;
}

const keyedUnder = (keyId: string) => new RegExp(`^h1:${keyId}:[A-Za-z0-9_-]{43}$`);

test("the look-up hash is keyed: another master key gives another hash, never the plain SHA-256", () => {
  const key = (bytes: Buffer) =>
    new KeyService({ active: "k1", keys: [{ id: "k1", key: bytes, createdAt: "" }], file: undefined });
  const one = key(randomBytes(32));
  const other = key(randomBytes(32));
  const hash = loginHash(one, "k1", "tenant", "sandbox-bank", "user_good");
  assert.match(hash, keyedUnder("k1"));
  assert.equal(hash, loginHash(one, "k1", "tenant", "sandbox-bank", "user_good"), "deterministic");
  assert.notEqual(hash, loginHash(other, "k1", "tenant", "sandbox-bank", "user_good"));
  assert.notEqual(hash, loginHash(one, "k1", "tenant", "sandbox-bank", "user_goods"));
  assert.notEqual(hash.split(":")[2], plainSha256("tenant", "sandbox-bank", "user_good"));
});

for (const backend of backends) {
  suite(`credential look-up hash (${backend})`, () => {
    test("a new credential's hash is an HMAC under the active key, and differs on a server with another master key", async () => {
      const a = await startLinkServer(backend);
      const b = await startLinkServer(backend);
      try {
        const connected = await connect(a, "user_good", "link: keyed look-up");
        const { ctx } = a.server.server;
        const row = await ctx.database.db
          .selectFrom("link_credentials")
          .selectAll()
          .where("id", "=", connected.credentialId)
          .executeTakeFirstOrThrow();
        assert.match(row.login_hash, keyedUnder(ctx.keys.activeKeyId));
        assert.doesNotMatch(row.login_hash, new RegExp(plainSha256(row.tenant_id, row.site_id, "user_good")));
        // The same tenant, site and login on the other server (its own keyring) hash differently.
        const there = b.server.server.ctx.keys;
        const mac = (hash: string) => hash.split(":")[2];
        assert.notEqual(
          mac(loginHash(there, there.activeKeyId, row.tenant_id, row.site_id, "user_good")),
          mac(row.login_hash),
        );
      } finally {
        await a.server.close();
        await b.server.close();
      }
    });

    test("a row of an earlier release (plain SHA-256, login stored as `username`) syncs, is found, reused and converted", async () => {
      const link = await startLinkServer(backend);
      try {
        const scenario = "link: old look-up hash";
        const { ctx } = link.server.server;
        const tenant = await ctx.database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow();
        const id = await insertOldRow(ctx, tenant.id, link.username, "user_good");
        // As a process sees it whose start-up pass left rows of an earlier release (one written by an
        // older process during a rolling upgrade, say): plain hashes are still looked up.
        ctx.link.plainLoginHashes = true;
        // The stored fields still call the login `username`: the connector gets it as `login`.
        const sync = await link.server.api("POST", `/v1/link/credentials/${id}/sync`, {
          apiKey: link.apiKey,
          scenario,
        });
        assert.equal(sync.status, 201);
        await waitFor(link, (sync.body.job as { id: string }).id, scenario, endsWith(S.Finish));
        // A burst of connects with the login finds the old row every time: never a second one.
        const burst = await Promise.all(
          Array.from({ length: 8 }, () => connect(link, "user_good", scenario)),
        );
        for (const again of burst) {
          assert.equal(again.status, 200);
          assert.equal(again.body.isNew, false);
          assert.equal(again.credentialId, id, "the old row is the same user, site and login");
        }
        assert.match(await storedHash(ctx, id), keyedUnder(ctx.keys.activeKeyId));
        const third = await connect(link, "user_good", scenario);
        assert.equal(third.credentialId, id, "found again after conversion");
        const other = await connect(link, "user_choice", scenario);
        assert.equal(other.body.isNew, true, "another login is still another credential");
      } finally {
        await link.server.close();
      }
    });

    test("a restarted server converts every row of an earlier release before it runs jobs", async () => {
      const database = await createTestDatabase(backend);
      const clock = new ManualClock();
      const config = testConfig(database, linkFlags);
      const scenario = "link: old rows converted at start";
      let server = await runServer(config, { clock, logger: false });
      try {
        const tenant = await createTenant(server.ctx.database.db, "rehash", clock.now());
        const { apiKey } = await createApiKey(server.ctx.database.db, tenant.id, "t", ["admin"], clock.now());
        await keyedClient(server.url, apiKey)("POST", "/v1/users", scenario, { username: "olga" });
        const ids = [
          await insertOldRow(server.ctx, tenant.id, "olga", "user_good"),
          await insertOldRow(server.ctx, tenant.id, "olga", "user_choice"),
        ];
        await server.close();
        server = await runServer(config, { clock, logger: false });
        for (const id of ids)
          assert.match(await storedHash(server.ctx, id), keyedUnder(server.ctx.keys.activeKeyId));
        const again = await keyedClient(server.url, apiKey)("POST", "/v1/link/credentials", scenario, {
          username: "olga",
          site: "sandbox-bank",
          fields: { login: "user_choice", password: "sandbox" },
        });
        assert.equal(again.status, 200);
        assert.equal((again.body.credential as { id: string }).id, ids[1]);
        await waitFor(
          timelineAt(server.url, apiKey),
          (again.body.job as { id: string }).id,
          scenario,
          endsWith(S.Waiting),
        );
      } finally {
        await server.close();
        await database.drop();
      }
    });

    test("two processes converting at once change each row once; a second pass has nothing to do", async () => {
      const link = await startLinkServer(backend);
      try {
        const { ctx } = link.server.server;
        const tenant = await ctx.database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow();
        const ids: string[] = [];
        for (let i = 0; i < 30; i++)
          ids.push(await insertOldRow(ctx, tenant.id, link.username, `user_good_${i}`));
        const [one, two] = await Promise.all([rehashLogins(ctx), rehashLogins(ctx)]);
        assert.equal(one.changed + two.changed, ids.length);
        for (const id of ids) assert.match(await storedHash(ctx, id), keyedUnder(ctx.keys.activeKeyId));
        assert.deepEqual(await rehashLogins(ctx), { changed: 0, failed: 0 });
      } finally {
        await link.server.close();
      }
    });

    test("after `tessera keys rotate` the same login reuses its credential, and the old key retires", async () => {
      const link = await startLinkServer(backend);
      try {
        const scenario = "link: look-up after rotation";
        const { ctx } = link.server.server;
        const { dataDir, databaseUrl } = ctx.config;
        const data = [
          "--data-dir",
          dataDir,
          ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
        ];
        const env = { TESSERA_LOG_LEVEL: "silent" };
        const first = await connect(link, "user_good", scenario);
        await waitFor(link, first.jobId, scenario, endsWith(S.Finish));
        const oldKey = ctx.keys.activeKeyId;
        const rotated = await runCli([...data, "keys", "rotate"], { env, scenario: "keys: rotate" });
        assert.equal(rotated.status, 0, rotated.stderr);
        // Secrets and look-up hashes are counted apart, in rotate and in list alike.
        const [, reencrypted] = /; (\d+) secrets re-encrypted, 1 credential look-up hash re-keyed$/m.exec(
          rotated.stdout,
        ) ?? [undefined, "none"];
        const listed = await runCli([...data, "keys", "list"], { env, scenario: "keys: list" });
        assert.match(
          listed.stdout,
          new RegExp(` active  ${reencrypted} secrets, 1 credential look-up hash$`, "m"),
        );
        const newKey = JSON.parse(
          (await runCli([...data, "keys", "list", "--json"], { env, scenario: "keys: list" })).stdout,
        ).keys.find((k: { active: boolean }) => k.active).id as string;
        assert.notEqual(newKey, oldKey);
        assert.match(await storedHash(ctx, first.credentialId), keyedUnder(newKey));
        // At once, before the server's periodic keyring check would have seen the new key.
        const again = await connect(link, "user_good", scenario);
        assert.equal(again.status, 200);
        assert.equal(again.credentialId, first.credentialId);
        const rows = await ctx.database.db.selectFrom("link_credentials").select("id").execute();
        assert.equal(rows.length, 1, "no duplicate credential");
        const retired = await runCli([...data, "keys", "retire", oldKey], { env, scenario: "keys: retire" });
        assert.equal(retired.status, 0, retired.stderr);
        const later = await connect(link, "user_good", scenario);
        assert.equal(later.credentialId, first.credentialId, "found with the old key gone");
      } finally {
        await link.server.close();
      }
    });
    test("a plain-hash duplicate of a keyed row is marked, not left; once none is left plain hashes are not looked up", async () => {
      const link = await startLinkServer(backend);
      try {
        const scenario = "link: plain duplicates";
        const { ctx } = link.server.server;
        const tenant = await ctx.database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow();
        const keyed = loginHash(ctx.keys, ctx.keys.activeKeyId, tenant.id, "sandbox-bank", "user_good");
        const kept = await insertOldRow(ctx, tenant.id, link.username, "user_good", { hash: keyed });
        const duplicate = await insertOldRow(ctx, tenant.id, link.username, "user_good");
        assert.deepEqual(await rehashLogins(ctx), { changed: 1, failed: 0 });
        assert.equal(await storedHash(ctx, kept), keyed);
        // The duplicate keeps its data (the user may delete it) but is no longer found by look-up.
        assert.match(await storedHash(ctx, duplicate), new RegExp(`^h1:${ctx.keys.activeKeyId}:duplicate-`));
        const plainLeft = await ctx.database.db
          .selectFrom("link_credentials")
          .select("id")
          .where("login_hash", "not like", "h1:%")
          .execute();
        assert.deepEqual(plainLeft, []);
        assert.equal(ctx.link.plainLoginHashes, false);
        const again = await connect(link, "user_good", scenario);
        assert.equal(again.credentialId, kept);
        // A plain row that appears now is not accepted by look-up: the login gets a keyed row.
        const late = await insertOldRow(ctx, tenant.id, link.username, "user_choice");
        const other = await connect(link, "user_choice", scenario);
        assert.equal(other.body.isNew, true);
        assert.notEqual(other.credentialId, late);
      } finally {
        await link.server.close();
      }
    });

    test("a row that cannot be decrypted is logged by id and counted; the others are converted, nothing throws", async () => {
      const link = await startLinkServer(backend);
      try {
        const { ctx } = link.server.server;
        const tenant = await ctx.database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow();
        const broken = await insertOldRow(ctx, tenant.id, link.username, "secret-login", {
          fieldsEnc: sealJson(ctx.keys, credentialFields, "another-id", { login: "secret-login" }),
        });
        const good = await insertOldRow(ctx, tenant.id, link.username, "user_good");
        const logged: { level: string; fields: object; message: string }[] = [];
        const record = (level: string) => (fields: object, message: string) => {
          logged.push({ level, fields, message });
        };
        ctx.link.log = { info: record("info"), warn: record("warn"), error: record("error") };
        assert.deepEqual(await rehashLogins(ctx), { changed: 1, failed: 1 });
        assert.match(await storedHash(ctx, good), keyedUnder(ctx.keys.activeKeyId));
        const warning = logged.find((entry) => JSON.stringify(entry.fields).includes(broken));
        assert.ok(warning, JSON.stringify(logged));
        assert.doesNotMatch(JSON.stringify(logged), /secret-login/, "the login is never logged");
        // The unconverted row keeps plain hashes looked up, so nothing is lost once it is repaired.
        assert.equal(ctx.link.plainLoginHashes, true);
      } finally {
        await link.server.close();
      }
    });
  });
}
