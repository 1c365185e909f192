import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { ownerOf, SoftwareDevice } from "./helpers/approval-device.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";
import { testConfig } from "./helpers/test-server.ts";

const details = { amount: "5000.00", currency: "EUR", payee: "Notary Office" };
/** The production default of approvals.maxPendingPerUser (settings.ts). */
const CAP = 5;

/**
 * Answers and the per-user cap across two real server processes on one PostgreSQL: the final
 * state is a compare-and-set in the database and the cap is counted under a lock of the user's
 * row, so neither process's own ordering is what holds them.
 */
suite("transaction signing across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let a: ServerProcess;
  let b: ServerProcess;
  let ctx: ServerContext;
  let device: SoftwareDevice;
  let tenantId = "";
  before(async () => {
    pair = await startProcessPair("approvals", "approvals two processes: setup");
    ({ a, b } = pair);
    // The test's own view of the same database and keyring, to enrol a software push device.
    ctx = await openServerContext(testConfig(pair.database), { mayCreateData: false });
    tenantId = (await ctx.database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow()).id;
    for (const username of ["ann", "ben"])
      await call(a, "POST", "/v1/users", "approvals two processes: setup", { username });
    device = await new SoftwareDevice().enrol(ctx, await ownerOf(ctx, tenantId, "ann"));
    await new SoftwareDevice("p256").enrol(ctx, await ownerOf(ctx, tenantId, "ben"));
  });
  after(async () => {
    await ctx.close();
    await pair.close();
  });

  const call = (server: ServerProcess, method: string, path: string, scenario: string, body?: unknown) =>
    keyedClient(server.url, pair.apiKey, { timeoutMs: 30_000 })(method, path, scenario, body);

  test("40 answers to one request over both processes: exactly one is recorded, the rest UpdateTransactionStatusInvalid", async () => {
    const created = await call(a, "POST", "/v1/approvals", "approvals two processes: race", {
      username: "ann",
      details,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const reference = String(created.body.reference);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const status = i % 4 < 2 ? "approved" : "rejected";
        return call(
          i % 2 === 0 ? a : b,
          "POST",
          `/v1/approvals/${reference}/status`,
          "approvals two processes: race",
          {
            status,
            approvalCode: device.approve(reference, details, status),
          },
        );
      }),
    );
    const won = results.filter((r) => r.status === 200);
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.body.errorCode)));
    for (const r of results.filter((x) => x.status !== 200))
      assert.equal(r.body.errorCode, ApiReturnCode.UpdateTransactionStatusInvalid, JSON.stringify(r.body));
    for (const server of [a, b]) {
      const read = await call(server, "GET", `/v1/approvals/${reference}`, "approvals two processes: race");
      assert.equal(read.body.status, won[0]?.body.status);
      assert.equal(read.body.approvalCode, won[0]?.body.approvalCode);
    }
  });

  test(`30 requests for one user over both processes create exactly ${CAP}`, async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(i % 2 === 0 ? a : b, "POST", "/v1/approvals", "approvals two processes: cap", {
          username: "ben",
          details,
        }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 201).length, CAP);
    for (const r of results.filter((x) => x.status !== 201)) {
      assert.equal(r.body.errorCode, ApiReturnCode.CreateTransactionFailed, JSON.stringify(r.body));
      assert.ok(Number(r.headers.get("retry-after")) > 0);
    }
    const waiting = await ctx.database.db
      .selectFrom("approval_requests")
      .select("approval_requests.id")
      .where("status", "=", "pending")
      .where("kind", "=", "transaction")
      .innerJoin("users", "users.id", "approval_requests.user_id")
      .where("users.username", "=", "ben")
      .execute();
    assert.equal(waiting.length, CAP);
  });

  test("one caller reference posted 20 times over both processes: exactly one request", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(i % 2 === 0 ? a : b, "POST", "/v1/approvals", "approvals two processes: reference", {
          username: "ann",
          details,
          reference: "CONTRACT-77",
        }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    for (const r of results.filter((x) => x.status !== 201))
      assert.equal(r.body.errorCode, ApiReturnCode.CreateTransactionFailed, JSON.stringify(r.body));
  });
});
