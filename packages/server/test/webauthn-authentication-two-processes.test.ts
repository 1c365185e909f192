import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { findUser } from "../src/users/user-store.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { testConfig } from "./helpers/test-server.ts";
import { storeSoftKey } from "./helpers/webauthn-credentials.ts";

type Json = Record<string, unknown>;

/**
 * One assertion posted to two real `tessera start` processes on one PostgreSQL: the ceremony is
 * spent by a compare-and-set in the database and the counter moves by another, so neither
 * process's own ordering is what lets exactly one through.
 */
suite("WebAuthn sign-in across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let ctx: ServerContext;
  let tenantId = "";
  before(async () => {
    pair = await startProcessPair("webauthn", "webauthn two processes: setup");
    // The test's own view of the same database and keyring, to store the software key.
    ctx = await openServerContext(testConfig(pair.database), { mayCreateData: false });
    tenantId = (await ctx.database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow()).id;
  });
  after(async () => {
    await ctx.close();
    await pair.close();
  });

  const call = (server: ServerProcess, path: string, scenario: string, body: unknown) =>
    keyedClient(server.url, pair.apiKey, { timeoutMs: 30_000 })("POST", path, scenario, body);

  const keyOf = async (username: string) => {
    assert.equal(
      (await call(pair.a, "/v1/users", "webauthn two processes: setup", { username })).status,
      201,
    );
    const user = await findUser(ctx.database.db, tenantId, username);
    assert.ok(user !== undefined);
    const soft = new SoftAuthenticator();
    const origin = new URL(pair.a.url).origin;
    const key = await storeSoftKey(ctx, soft, {
      tenantId,
      userId: user.id,
      rpId: new URL(pair.a.url).hostname,
      origin,
    });
    return { soft, origin, ...key };
  };
  const begin = async (username: string) => {
    const r = await call(pair.a, "/v1/webauthn/authentication/options", "webauthn two processes: options", {
      username,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { ceremonyId: String(r.body.ceremonyId), options: r.body.options as Json };
  };

  test("the same assertion posted to both processes at once, 20 times: exactly one success", async () => {
    const key = await keyOf("ann");
    const begun = await begin("ann");
    const response = key.soft.get(begun.options, { origin: key.origin });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_v, i) =>
        call(
          i % 2 === 0 ? pair.a : pair.b,
          "/v1/webauthn/authentication/verify",
          "webauthn two processes: race",
          {
            ceremonyId: begun.ceremonyId,
            response,
          },
        ),
      ),
    );
    assert.equal(
      answers.filter((r) => r.status === 200).length,
      1,
      answers.map((r) => r.body.errorName).join(),
    );
    for (const r of answers.filter((r) => r.status !== 200))
      assert.equal(
        r.body.errorCode,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
        JSON.stringify(r.body),
      );
  });

  test("assertions of eight ceremonies over both processes: the stored counter is the largest accepted", async () => {
    const key = await keyOf("ben");
    const begun = [];
    for (let i = 0; i < 8; i += 1) begun.push(await begin("ben"));
    const responses = begun.map((b) => key.soft.get(b.options, { origin: key.origin }));
    const answers = await Promise.all(
      begun.map((b, i) =>
        call(
          i % 2 === 0 ? pair.a : pair.b,
          "/v1/webauthn/authentication/verify",
          "webauthn two processes: counters",
          {
            ceremonyId: b.ceremonyId,
            response: responses[i],
          },
        ),
      ),
    );
    const accepted = answers.flatMap((r, i) => (r.status === 200 ? [i + 1] : []));
    assert.ok(accepted.length >= 1, answers.map((r) => r.body.errorName).join());
    const row = await ctx.database.db
      .selectFrom("webauthn_credentials")
      .select("sign_count")
      .where("credential_id", "=", key.credentialId)
      .executeTakeFirstOrThrow();
    assert.equal(Number(row.sign_count), Math.max(...accepted));
  });
});
