import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { PAT_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { type Database, openDatabase } from "../src/storage/database.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";

/**
 * personalAccessTokens.maxPerUser is counted and the token inserted in one transaction that locks
 * the user's row: only two real processes on one PostgreSQL show that the database, not one
 * process's own serialisation, holds it. Production default (25), a burst of 40.
 */
suite("personal access token cap across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let direct: Database;
  before(async () => {
    pair = await startProcessPair("pats", "pat cap processes: setup");
    direct = await openDatabase({ dataDir: pair.database.dataDir, databaseUrl: pair.database.databaseUrl });
  });
  after(async () => {
    await direct.close();
    await pair.close();
  });

  test("of 40 creates spread over both processes, exactly 25 succeed", async () => {
    const call = (i: number, method: string, path: string, body?: unknown) =>
      keyedClient((i % 2 === 0 ? pair.a : pair.b).url, pair.apiKey)(method, path, "pat cap processes", body);
    assert.equal((await call(0, "POST", "/v1/users", { username: "alice" })).status, 201);
    const { id: tenantId } = await direct.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow();
    // A public app (no secret to seal): creating a PAT needs only the app and its grant type.
    await direct.db
      .insertInto("sso_apps")
      .values({
        client_id: "cli",
        tenant_id: tenantId,
        name: "CLI",
        kind: "native",
        secret_enc: null,
        redirect_uris: "[]",
        post_logout_redirect_uris: "[]",
        grant_types: JSON.stringify([PAT_GRANT_TYPE]),
        scopes: "openid",
        second_factors: "[]",
        require_second_factor: 0,
        first_party: 1,
        created_at: Date.now(),
        updated_at: Date.now(),
      })
      .execute();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_v, i) =>
        call(i, "POST", "/v1/users/alice/personal-access-tokens", {
          clientId: "cli",
          name: `n${i}`,
          expiresInDays: 1,
        }),
      ),
    );
    const refused = answers.filter((r) => r.status !== 201);
    assert.equal(answers.length - refused.length, 25, JSON.stringify(refused[0]?.body));
    for (const r of refused) {
      assert.equal(r.status, 409);
      assert.equal(r.body.errorCode, TesseraApiCode.PersonalAccessTokenLimitReached);
    }
    const stored = await direct.db.selectFrom("personal_access_tokens").select("id").execute();
    assert.equal(stored.length, 25);
  });
});
