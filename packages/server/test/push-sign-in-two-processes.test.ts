import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { approvalPayload } from "../src/approvals/approval-payload.ts";
import { type ApiResponse, keyedClient } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { TestPushApp } from "./helpers/push-app.ts";

/**
 * The sign-in push limits are read and the request inserted in one transaction that locks the
 * user's row: only two real processes on one PostgreSQL show that the database, not one process's
 * own serialisation, holds them. Production defaults unless a test says otherwise.
 */
suite("sign-in push limits across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  before(async () => {
    pair = await startProcessPair("pushes", "push sign-in processes: setup");
  });
  after(() => pair.close());

  const call = (i: number, method: string, path: string, body?: unknown) =>
    keyedClient((i % 2 === 0 ? pair.a : pair.b).url, pair.apiKey)(
      method,
      path,
      "push sign-in processes",
      body,
    );

  /** A user with a phone enrolled through process a (the processes run on the real clock). */
  const userWithPhone = async (username: string) => {
    assert.equal((await call(0, "POST", "/v1/users", { username })).status, 201);
    const link = await call(0, "POST", `/v1/users/${username}/push-enrolments`);
    const phone = new TestPushApp(pair.a.url, () => Date.now());
    assert.equal((await phone.enrol(String(link.body.enrolmentUrl), "push sign-in processes")).status, 201);
    return phone;
  };
  const refusedAll = (answers: readonly ApiResponse[]) => {
    for (const r of answers.filter((r) => r.status !== 201)) {
      assert.equal(r.body.errorCode, ApiReturnCode.CreateTransactionFailed, JSON.stringify(r.body));
      assert.ok(Number(r.headers.get("retry-after")) > 0);
    }
  };

  test("20 concurrent pushes spread over both processes: exactly one pending (pushMaxPending 1)", async () => {
    await userWithPhone("alice");
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_v, i) => call(i, "POST", "/v1/auth/push", { username: "alice" })),
    );
    assert.equal(
      answers.filter((r) => r.status === 201).length,
      1,
      answers.map((r) => r.body.errorName).join(),
    );
    refusedAll(answers);
  });

  test("the hourly cap holds over both processes: 30 concurrent, at most pushMaxPerHour (10)", async () => {
    await userWithPhone("bob");
    // Ten may wait at once here, so that the hourly cap, not the pending one, is what the burst meets.
    await call(0, "PATCH", "/v1/tenant", { pushMaxPending: 10 });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_v, i) => call(i, "POST", "/v1/auth/push", { username: "bob" })),
    );
    assert.equal(
      answers.filter((r) => r.status === 201).length,
      10,
      answers.map((r) => r.body.errorName).join(),
    );
    refusedAll(answers);
  });

  test("a fraud report answered on one process locks pushes on the other until cleared", async () => {
    const phone = await userWithPhone("carol");
    // No cool-down, so that after the lock is cleared the next push shows the lock alone decided.
    await call(0, "PATCH", "/v1/tenant", { pushCooldownSeconds: 0 });
    const first = await call(0, "POST", "/v1/auth/push", { username: "carol" });
    const reference = String(first.body.reference);
    const body = {
      decision: "rejected",
      fraud: true,
      approvalCode: phone.sign(
        approvalPayload({ reference, kind: "sign-in", decision: "rejected", number: null, details: null }),
      ),
    };
    const reported = await phone.call(
      "POST",
      `/app/v1/requests/${reference}/answer`,
      "push sign-in processes",
      {
        body,
      },
    );
    assert.equal(reported.body.status, "rejected", JSON.stringify(reported.body));
    const locked = await call(1, "POST", "/v1/auth/push", { username: "carol" });
    assert.equal(locked.body.errorCode, ApiReturnCode.CreateTransactionFailed);
    assert.equal(locked.headers.get("retry-after"), null);
    assert.equal((await call(1, "DELETE", "/v1/users/carol/push-lock")).body.cleared, true);
    assert.equal((await call(0, "POST", "/v1/auth/push", { username: "carol" })).status, 201);
  });
});
