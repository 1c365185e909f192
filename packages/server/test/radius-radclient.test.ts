import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { addRadiusClient, auditRowsEventually, radclient, radtest } from "./helpers/radius.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const SECRET = "testing123-radius";
const STEP = 30_000;
/** A dropped packet: radclient gives up after one second (the drop is asserted in the audit trail). */
const noAnswerExpected = { timeoutSeconds: 1 };

for (const backend of backends) {
  suite(`RADIUS with FreeRADIUS's radclient and radtest (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let n = 0;
    before(async () => {
      // "::" takes IPv4 (as ::ffff:127.0.0.1) and IPv6 alike, so both families are tried below.
      s = await startTestServer(backend, { radius: true, flags: { "radius.host": "::" } });
      ({ apiKey } = await s.tenant());
      await addRadiusClient(s, apiKey, { address: "127.0.0.1", secret: SECRET });
    });
    after(() => s.close());

    const port = () => s.server.radius?.port ?? 0;
    const newUser = async (withToken: boolean) => {
      n += 1;
      const username = `rad${n}`;
      const r = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse" },
        scenario: "radius: setup",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      if (withToken) {
        const t = await s.api("POST", "/v1/authenticators", {
          apiKey,
          body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
          scenario: "radius: setup",
        });
        assert.equal(t.status, 201, JSON.stringify(t.body));
      }
      return username;
    };
    const totp = () => oathtoolTotp(secretHex, s.clock.now());
    const pap = (username: string, password: string, extra: string[] = []) =>
      radclient({ port: port() }, "auth", SECRET, [
        `User-Name = "${username}"`,
        `User-Password = "${password}"`,
        "Message-Authenticator = 0x00",
        ...extra,
      ]);
    const audited = async (username: string, count = 1) =>
      auditRowsEventually(s.server.ctx.database.db, (row) => row.subject === `user:${username}`, count);

    test("password,code from oathtool in User-Password: Access-Accept, Message-Authenticator first", async () => {
      const username = await newUser(true);
      const answer = await pap(username, `correct horse,${totp()}`);
      assert.equal(answer.code, "Access-Accept", answer.output);
      assert.equal(answer.attributes[0]?.[0], "Message-Authenticator", answer.output);
      const [row] = await audited(username);
      assert.equal(row?.operation, "radius.access-request");
      assert.equal(row?.result_code, ApiReturnCode.Success);
      assert.equal(row?.source_ip, "127.0.0.1");
    });

    test("radtest: a user without a second factor is refused while the tenant requires one (the default), let in on the password when it is optional", async () => {
      const username = await newUser(false);
      const refused = await radtest(port(), username, "correct horse", SECRET);
      assert.equal(refused.code, "Access-Reject", refused.output);
      const [row] = await audited(username);
      assert.equal(row?.result_code, ApiReturnCode.NoDevicesDefined);
      recordObservedCode(
        "api",
        ApiReturnCode.NoDevicesDefined,
        "radius: no second factor, tenant requires one",
      );
      const setFactor = async (ssoSecondFactor: string) => {
        const r = await s.api("PATCH", "/v1/tenant", {
          apiKey,
          body: { ssoSecondFactor },
          scenario: "radius: tenant second-factor policy",
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      };
      await setFactor("optional");
      try {
        const answer = await radtest(port(), username, "correct horse", SECRET);
        assert.equal(answer.code, "Access-Accept", answer.output);
        assert.equal(answer.attributes[0]?.[0], "Message-Authenticator");
      } finally {
        await setFactor("required");
      }
    });

    test("wrong password, wrong code, unknown user: Access-Reject with one generic text; the trail has the reason", async () => {
      const username = await newUser(true);
      const wrongPassword = await radtest(port(), username, `wrong horse,${totp()}`, SECRET);
      const wrongCode = await pap(username, "correct horse,000000");
      const nobody = await pap("nobody-here", `correct horse,${totp()}`);
      for (const answer of [wrongPassword, wrongCode, nobody]) {
        assert.equal(answer.code, "Access-Reject", answer.output);
        assert.deepEqual(
          answer.attributes.map(([name]) => name),
          ["Message-Authenticator", "Reply-Message"],
        );
        assert.equal(answer.attributes[1]?.[1], "Access denied");
      }
      const rows = await audited(username, 2);
      assert.deepEqual(
        rows.map((row) => row.result_code),
        [ApiReturnCode.PartnerUserLoginFailed, ApiReturnCode.OTPInvalid],
      );
      const [unknown] = await audited("nobody-here");
      assert.equal(unknown?.result_code, ApiReturnCode.InvalidPartnerUserLogin);
      for (const row of [...rows, unknown])
        recordObservedCode("api", row?.result_code ?? -1, "radius: Access-Reject reasons in the audit trail");
    });

    test("the password alone: Access-Challenge with State; the code with that State: Access-Accept, once", async () => {
      const username = await newUser(true);
      const challenge = await pap(username, "correct horse");
      assert.equal(challenge.code, "Access-Challenge", challenge.output);
      assert.equal(challenge.attributes[0]?.[0], "Message-Authenticator");
      const state = challenge.attributes.find(([name]) => name === "State")?.[1] ?? "";
      // 0x and at least 128 bits of hex.
      assert.match(state, /^0x[0-9a-f]{32,}$/);
      assert.equal(
        challenge.attributes.find(([name]) => name === "Reply-Message")?.[1],
        "Enter your one-time code",
      );
      const code = totp();
      const answered = await pap(username, code, [`State = ${state}`]);
      assert.equal(answered.code, "Access-Accept", answered.output);
      // The State is spent: the next packet with it (a new code, a new identifier) is refused.
      s.clock.advance(STEP);
      const replayed = await pap(username, totp(), [`State = ${state}`]);
      assert.equal(replayed.code, "Access-Reject", replayed.output);
      const rows = await audited(username, 3);
      assert.deepEqual(
        rows.map((row) => [row.operation, row.result_code]),
        [
          ["radius.access-challenge", ApiReturnCode.Success],
          ["radius.access-request", ApiReturnCode.Success],
          ["radius.access-request", ApiReturnCode.OTPInvalid],
        ],
      );
    });

    test("a State is bound to its user: another user's name with it is refused", async () => {
      const alice = await newUser(true);
      const bob = await newUser(true);
      const challenge = await pap(alice, "correct horse");
      const state = challenge.attributes.find(([name]) => name === "State")?.[1] ?? "";
      const stolen = await pap(bob, totp(), [`State = ${state}`]);
      assert.equal(stolen.code, "Access-Reject", stolen.output);
    });

    test("a wrong secret and an unknown source get no answer at all; both are audited as 9042", async () => {
      const username = await newUser(true);
      const wrongSecret = await radclient(
        { port: port() },
        "auth",
        "not-the-secret",
        [
          `User-Name = "${username}"`,
          `User-Password = "correct horse,${totp()}"`,
          "Message-Authenticator = 0x00",
        ],
        noAnswerExpected,
      );
      assert.equal(wrongSecret.code, undefined, wrongSecret.output);
      assert.match(wrongSecret.output, /No reply from server/);
      // ::1 is no client of this server (only 127.0.0.1 is).
      const unknown = await radclient(
        { host: "::1", port: port() },
        "auth",
        SECRET,
        [
          `User-Name = "${username}"`,
          `User-Password = "correct horse,${totp()}"`,
          "Message-Authenticator = 0x00",
        ],
        noAnswerExpected,
      );
      assert.equal(unknown.code, undefined, unknown.output);
      const rows = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.result_code === ApiReturnCode.GetRadiusServerClientList,
        2,
      );
      assert.deepEqual(rows.map((row) => [row.operation, row.source_ip]).sort(), [
        ["radius.drop.unknown-source", "::1"],
        ["radius.drop.wrong-secret", "127.0.0.1"],
      ]);
      recordObservedCode(
        "api",
        ApiReturnCode.GetRadiusServerClientList,
        "radius: unknown client or wrong secret",
      );
      // Nothing about the user was evaluated: no access-request row for them.
      assert.equal(
        (await auditRowsEventually(s.server.ctx.database.db, () => true, 0)).filter(
          (row) => row.subject === `user:${username}`,
        ).length,
        0,
      );
    });

    test("an IPv6 client is answered over IPv6", async () => {
      await addRadiusClient(s, apiKey, { address: "::1", secret: `${SECRET}-v6` });
      const username = await newUser(true);
      const answer = await radclient({ host: "::1", port: port() }, "auth", `${SECRET}-v6`, [
        `User-Name = "${username}"`,
        `User-Password = "correct horse,${totp()}"`,
        "Message-Authenticator = 0x00",
      ]);
      assert.equal(answer.code, "Access-Accept", answer.output);
    });

    test("an Access-Request without Message-Authenticator gets no answer from a client that requires it", async () => {
      const username = await newUser(false);
      const plain = await radclient(
        { port: port() },
        "auth",
        SECRET,
        [`User-Name = "${username}"`, `User-Password = "correct horse"`],
        noAnswerExpected,
      );
      assert.equal(plain.code, undefined, plain.output);
      await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.operation === "radius.drop.no-message-authenticator",
      );
    });

    test("Accounting-Request on the accounting port: answered, recorded in the audit trail", async () => {
      const accountingPort = s.server.radius?.accountingPort ?? 0;
      const answer = await radclient({ port: accountingPort }, "acct", SECRET, [
        'User-Name = "rad-accounting"',
        "Acct-Status-Type = Start",
        'Acct-Session-Id = "session-1"',
      ]);
      assert.equal(answer.code, "Accounting-Response", answer.output);
      assert.equal(answer.attributes[0]?.[0], "Message-Authenticator");
      const [row] = await auditRowsEventually(
        s.server.ctx.database.db,
        (r) => r.subject === "radius-user:rad-accounting",
      );
      assert.equal(row?.operation, "radius.accounting.start");
    });
  });
}
