import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathCode } from "../src/authenticators/oath/oath-code.ts";
import { openDatabase } from "../src/storage/database.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { endsWith, timelineAt, waitFor } from "./helpers/link.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

/**
 * Numbers at and past every bound, against a real `tessera start` with its defaults: a request
 * that loops forever blocks the server's event loop, which only a separate process shows without
 * hanging the test itself. Every request has a deadline, and /health must answer after it.
 */
const DEADLINE_MS = 5000;
// The documented bounds (docs/api.md), written out so this test states them independently.
const MAX_HOTP_COUNTER = 2 ** 48;
const MAX_INT32 = 2 ** 31 - 1;
const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const secretBytes = Buffer.from("12345678901234567890");
const secret32 = encodeBase32(secretBytes);

function pskc(serial: string, counter: string): string {
  return `<?xml version="1.0"?><pskc:KeyContainer Version="1.0" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"><pskc:KeyPackage><pskc:DeviceInfo><pskc:SerialNo>${serial}</pskc:SerialNo></pskc:DeviceInfo><pskc:Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><pskc:AlgorithmParameters><pskc:ResponseFormat Length="6" Encoding="DECIMAL"/></pskc:AlgorithmParameters><pskc:Data><pskc:Secret><pskc:PlainValue>${secretBytes.toString("base64")}</pskc:PlainValue></pskc:Secret><pskc:Counter><pskc:PlainValue>${counter}</pskc:PlainValue></pskc:Counter></pskc:Data></pskc:Key></pskc:KeyPackage></pskc:KeyContainer>`;
}

type Reply = { status: number; body: { errorCode: number; errorMessage: string } };
function refusedNaming(r: Reply, field: string): void {
  assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
  assert.ok(r.body.errorMessage.includes(field), `${r.body.errorMessage} names ${field}`);
}

for (const backend of backends) {
  suite(`numbers are bounded on every route (tessera start, ${backend})`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    let data: string[] = [];
    let apiKey = "";
    let n = 0;
    before(async () => {
      database = await createTestDatabase(backend);
      data = [
        "--data-dir",
        database.dataDir,
        ...(database.databaseUrl === undefined ? [] : ["--database-url", database.databaseUrl]),
      ];
      const created = await runCli([...data, "tenant", "create", "bounds", "--json"], {
        scenario: "bounds: setup",
      });
      apiKey = JSON.parse(created.stdout).apiKey;
      // The Sandbox Bank (loopback only) is on for the Last-Event-ID test on PostgreSQL too.
      server = await startServerProcess(data, { TESSERA_LINK_SANDBOX: "on" });
    });
    after(async () => {
      await server.stop("SIGKILL");
      await database.drop();
    });

    const call = (method: string, path: string, body: unknown, scenario: string) =>
      keyedClient(server.url, apiKey, { timeoutMs: DEADLINE_MS })(method, path, scenario, body);
    const healthy = async () => {
      const r = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(DEADLINE_MS) });
      assert.equal(r.status, 200);
    };
    const newUser = async () => {
      n += 1;
      const username = `bounds${n}`;
      assert.equal((await call("POST", "/v1/users", { username }, "bounds: setup")).status, 201);
      return username;
    };
    const hotpUser = async () => {
      const username = await newUser();
      const serial = `HB${n}`;
      const r = await call(
        "POST",
        "/v1/authenticators",
        { type: "hotp", secret: secret32, serial, username },
        "bounds: setup",
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { username, serial };
    };

    test("a HOTP counter past the bound is refused naming the field; at the bound, validation answers", async () => {
      const { username, serial } = await hotpUser();
      for (const counter of [9007199254740900, 9007199254740992, 2 ** 60, MAX_HOTP_COUNTER + 1, -1, 1.5]) {
        const r = await call("PATCH", `/v1/authenticators/${serial}`, { counter }, "bounds: counter");
        refusedNaming(r, "body.counter");
      }
      const atBound = await call(
        "PATCH",
        `/v1/authenticators/${serial}`,
        { counter: MAX_HOTP_COUNTER },
        "bounds: counter at the bound",
      );
      assert.equal(atBound.status, 200);
      const r = await call("POST", "/v1/auth/otp", { username, otp: "000000" }, "bounds: otp at the bound");
      assert.equal(r.body.errorCode, ApiReturnCode.OTPInvalid);
      // The code search still counts exactly there: the code two presses ahead is accepted once.
      const ahead = oathCode(secretBytes, MAX_HOTP_COUNTER + 2, "SHA1", 6);
      const accepted = await call(
        "POST",
        "/v1/auth/otp",
        { username, otp: ahead },
        "bounds: otp at the bound",
      );
      assert.equal(accepted.body.errorCode, 0);
      const replayed = await call(
        "POST",
        "/v1/auth/otp",
        { username, otp: ahead },
        "bounds: otp at the bound",
      );
      assert.equal(replayed.body.errorCode, ApiReturnCode.OTPAlreadyUsed);
      await healthy();
    });

    test("a position stored past 2^53 by other means: validation and resync still answer in time", async () => {
      const { username, serial } = await hotpUser();
      const direct = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      try {
        await direct.db
          .updateTable("authenticators")
          .set({ position: Number.MAX_SAFE_INTEGER - 5 })
          .where("serial", "=", serial)
          .execute();
      } finally {
        await direct.close();
      }
      const r = await call("POST", "/v1/auth/otp", { username, otp: "000000" }, "bounds: otp past 2^53");
      assert.equal(r.body.errorCode, ApiReturnCode.OTPInvalid);
      const resync = await call(
        "POST",
        `/v1/authenticators/${serial}/resync`,
        { otp1: "000000", otp2: "111111" },
        "bounds: resync past 2^53",
      );
      assert.equal(resync.body.errorCode, ApiReturnCode.OTPInvalid);
      await healthy();
    });

    test("maxUses beyond the integer column is a 400 naming the field, on create and update", async () => {
      const { serial } = await hotpUser();
      for (const maxUses of [MAX_INT32 + 1, 2 ** 53, 0, -1, 2.5]) {
        refusedNaming(
          await call("PATCH", `/v1/authenticators/${serial}`, { maxUses }, "bounds: maxUses"),
          "body.maxUses",
        );
        refusedNaming(
          await call("POST", "/v1/authenticators", { type: "totp", maxUses }, "bounds: maxUses"),
          "body.maxUses",
        );
      }
      const r = await call(
        "PATCH",
        `/v1/authenticators/${serial}`,
        { maxUses: MAX_INT32 },
        "bounds: maxUses",
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      for (const [field, value] of [
        ["digits", 2 ** 31],
        ["period", 2 ** 53],
        ["digits", -6],
      ] as const)
        refusedNaming(
          await call("POST", "/v1/authenticators", { type: "totp", [field]: value }, "bounds: oath"),
          `body.${field}`,
        );
      await healthy();
    });

    test("user expiry times past year 9999 are a 400 naming the field; the last millisecond is taken", async () => {
      const username = await newUser();
      for (const expiresAt of [MAX_EPOCH_MS + 1, 2 ** 53, 1e20, -1]) {
        refusedNaming(
          await call("PATCH", `/v1/users/${username}`, { expiresAt }, "bounds: expiresAt"),
          "body.expiresAt",
        );
        refusedNaming(
          await call("POST", "/v1/users", { username: `${username}x`, expiresAt }, "bounds: expiresAt"),
          "body.expiresAt",
        );
        refusedNaming(
          await call(
            "POST",
            "/v1/users/import",
            { users: [{ username: "imp", expiresAt }] },
            "bounds: import",
          ),
          "body.users.0.expiresAt",
        );
      }
      const r = await call(
        "PATCH",
        `/v1/users/${username}`,
        { expiresAt: MAX_EPOCH_MS },
        "bounds: expiresAt",
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await healthy();
    });

    test("audit query numbers past their columns are a 400 naming the parameter", async () => {
      for (const [name, value] of [
        ["from", "100000000000000000000"],
        ["to", String(MAX_EPOCH_MS + 1)],
        ["resultCode", String(2 ** 31)],
        ["resultCode", String(-(2 ** 31) - 1)],
        ["cursor", "9007199254740993"],
        ["limit", "1.5"],
      ] as const)
        refusedNaming(
          await call("GET", `/v1/audit?${name}=${value}`, undefined, "bounds: audit"),
          `querystring.${name}`,
        );
      // 10^11 is the smallest epoch number taken: below, it looks like epoch seconds and is refused
      // (input-answers.test.ts).
      const r = await call(
        "GET",
        `/v1/audit?from=${10 ** 11}&to=${MAX_EPOCH_MS}&resultCode=${MAX_INT32}&limit=500`,
        undefined,
        "bounds: audit",
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await healthy();
    });

    test("a PSKC counter past the bound, or not plain digits, rejects that token; at the bound it imports", async () => {
      // A file that imports nothing is refused, naming each token's reason.
      const refused = await call(
        "POST",
        "/v1/authenticators/import",
        { pskc: pskc("PB1", "9007199254740900") },
        "bounds: pskc",
      );
      assert.equal(refused.status, 400);
      assert.match(String(refused.body.errorMessage), /PB1: Counter 9007199254740900 is out of range/);
      for (const counter of ["1e300", "0x10", "-1", "1.5", String(MAX_HOTP_COUNTER + 1)]) {
        const r = await call(
          "POST",
          "/v1/authenticators/import",
          { pskc: pskc("PB2", counter) },
          "bounds: pskc",
        );
        assert.equal(r.status, 400, counter);
        assert.match(String(r.body.errorMessage), /PB2: Counter/, counter);
      }
      const ok = await call(
        "POST",
        "/v1/authenticators/import",
        { pskc: pskc("PB3", String(MAX_HOTP_COUNTER)) },
        "bounds: pskc",
      );
      assert.equal(ok.body.imported, 1, JSON.stringify(ok.body));
      await healthy();
    });

    test("a Last-Event-ID past the event sequence column replays the whole timeline and ends", async () => {
      const username = await newUser();
      const connected = await call(
        "POST",
        "/v1/link/credentials",
        { username, site: "sandbox-bank", fields: { login: "user_good", password: "sandbox" } },
        "bounds: link setup",
      );
      const jobId = (connected.body.job as { id: string }).id;
      await waitFor(timelineAt(server.url, apiKey), jobId, "bounds: link setup", endsWith(200));
      const events = async (lastEventId: string) => {
        const r = await fetch(`${server.url}/v1/link/jobs/${jobId}/events`, {
          headers: { authorization: `Bearer ${apiKey}`, "last-event-id": lastEventId },
          signal: AbortSignal.timeout(DEADLINE_MS),
        });
        return (await r.text()).split("\n").filter((line) => line.startsWith("event: "));
      };
      const full = await events("0");
      assert.equal(full.at(-1), "event: end");
      for (const id of [String(2 ** 31), "99999999999", "9007199254740993", "1e300", "-5", "0.5"])
        assert.deepEqual(await events(id), full, `Last-Event-ID ${id}`);
      await healthy();
    });

    test("the CLI holds tenant expiry times to the same range", async () => {
      const r = await runCli(
        [...data, "tenant", "set", "bounds", "--expires-at", "+020000-01-01T00:00:00Z"],
        {
          scenario: "bounds: cli expires-at",
        },
      );
      assert.notEqual(r.status, 0);
      assert.match(r.stdout + r.stderr, /--expires-at must be/);
    });

    test("the CLI imports hold user expiry times and PSKC counters to the same bounds", async () => {
      const csv = join(database.dataDir, "users.csv");
      writeFileSync(
        csv,
        "username,expiresAt\ncsvlate,+020000-01-01T00:00:00Z\ncsvok,9999-12-31T23:59:59.999Z\n",
      );
      const users = await runCli([...data, "user", "import", csv, "--tenant", "bounds", "--json"], {
        scenario: "bounds: cli user import",
      });
      const summary = JSON.parse(users.stdout) as { created: number; rejected: { errorMessage: string }[] };
      assert.equal(summary.created, 1, users.stdout);
      assert.equal(summary.rejected.length, 1, users.stdout);
      assert.match(summary.rejected[0]?.errorMessage ?? "", /expiresAt/);
      const file = join(database.dataDir, "tokens.pskc");
      writeFileSync(file, pskc("CLI1", "9007199254740900"));
      const tokens = await runCli([...data, "token", "import", file, "--tenant", "bounds", "--json"], {
        scenario: "bounds: cli token import",
      });
      assert.match(tokens.stdout, /nothing imported \(CLI1: Counter 9007199254740900 is out of range/);
      assert.notEqual(tokens.status, 0);
    });
  });
}
