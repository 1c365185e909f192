import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import radius from "radius";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { CHALLENGE_TTL_MS } from "../src/radius/listener/challenge-store.ts";
import { updateTenant } from "../src/tenants/tenant-store.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { addRadiusClient, auditRowsEventually, RadiusTestClient } from "./helpers/radius.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { register } from "./helpers/webauthn-registration.ts";

const secretHex = "3132333435363738393031323334353637383930";
const SECRET = "attack-client-secret";

let identifiers = 0;
const nextIdentifier = () => {
  identifiers = (identifiers + 1) % 256;
  return identifiers;
};

const LEGACY_SECRET = "attack-legacy-secret";

function accessRequest(
  attributes: [string | number, string | Buffer][],
  options: { secret?: string; messageAuthenticator?: boolean } = {},
): Buffer {
  return radius.encode({
    code: "Access-Request",
    secret: options.secret ?? SECRET,
    identifier: nextIdentifier(),
    attributes,
    add_message_authenticator: options.messageAuthenticator ?? true,
  });
}

for (const backend of backends) {
  suite(`RADIUS attacks (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    let n = 0;
    let port = 0;
    let client: RadiusTestClient;
    let legacy: RadiusTestClient;
    before(async () => {
      s = await startTestServer(backend, { radius: true });
      const created = await s.tenant();
      ({ apiKey } = created);
      tenantId = created.tenant.id;
      port = s.server.radius?.port ?? 0;
      // Loosened for this file: its users without a token sign in with the password alone, so one
      // packet shows whether the tenant or the packet was refused. The default (a second factor
      // required over RADIUS too) has its own test in radius-radclient.test.ts.
      const optional = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { ssoSecondFactor: "optional" },
        scenario: "radius attacks: setup",
      });
      assert.equal(optional.status, 200, JSON.stringify(optional.body));
      await addRadiusClient(s, apiKey, { address: "127.0.0.1", secret: SECRET });
      await addRadiusClient(s, apiKey, {
        address: "127.0.0.2",
        secret: LEGACY_SECRET,
        requireMessageAuthenticator: false,
      });
      client = await RadiusTestClient.open("127.0.0.1");
      legacy = await RadiusTestClient.open("127.0.0.2");
    });
    after(async () => {
      client.close();
      legacy.close();
      await s.close();
    });

    const newUser = async (withToken: boolean) => {
      n += 1;
      const username = `atk${n}`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse" },
        scenario: "radius attacks: setup",
      });
      if (withToken) {
        const t = await s.api("POST", "/v1/authenticators", {
          apiKey,
          body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
          scenario: "radius attacks: setup",
        });
        assert.equal(t.status, 201, JSON.stringify(t.body));
      }
      return username;
    };
    const totp = () => oathtoolTotp(secretHex, s.clock.now());
    /** Sends a request and decodes its answer (undefined: none within the wait). */
    /** Forgets earlier answers with this identifier (identifiers wrap), so only the new one counts. */
    const forget = (nas: RadiusTestClient, identifier: number) => {
      for (let i = nas.received.length - 1; i >= 0; i--)
        if (nas.received[i]?.readUInt8(1) === identifier) nas.received.splice(i, 1);
    };
    const exchange = async (request: Buffer, waitMs = 5000) => {
      forget(client, request.readUInt8(1));
      client.send(request, port);
      const response = await client.answer(request.readUInt8(1), waitMs);
      if (response === undefined) return undefined;
      assert.equal(
        radius.verify_response({ request, response: Buffer.from(response), secret: SECRET }),
        true,
      );
      return radius.decode({ packet: response, secret: SECRET });
    };

    test("a disabled or expired tenant's users get Access-Reject, also with the right password", async () => {
      const username = await newUser(false);
      const signIn = () =>
        exchange(
          accessRequest([
            ["User-Name", username],
            ["User-Password", "correct horse"],
          ]),
        );
      assert.equal((await signIn())?.code, "Access-Accept", "the enabled tenant's user signs in");
      const { db } = s.server.ctx.database;
      await updateTenant(db, tenantId, { disabled: true }, s.clock.now());
      try {
        assert.equal((await signIn())?.code, "Access-Reject", "a disabled tenant signs nobody in");
      } finally {
        await updateTenant(db, tenantId, { disabled: false }, s.clock.now());
      }
      await updateTenant(db, tenantId, { expiresAt: s.clock.now() }, s.clock.now());
      try {
        assert.equal((await signIn())?.code, "Access-Reject", "an expired tenant signs nobody in");
      } finally {
        await updateTenant(db, tenantId, { expiresAt: null }, s.clock.now());
      }
      const rows = await auditRowsEventually(db, (row) => row.subject === `user:${username}`, 3);
      // The RADIUS reply says only "Access denied": the trail's codes are what this test observes.
      for (const row of rows)
        recordObservedCode("api", Number(row.result_code), "radius attacks: tenant closed");
      assert.deepEqual(
        rows.map((row) => Number(row.result_code)),
        [ApiReturnCode.Success, ApiReturnCode.PartnerLoginFailed, ApiReturnCode.AccountExpired],
      );
    });

    test("Proxy-States an answer has no room for: the request is dropped before a code is spent", async () => {
      const username = await newUser(true);
      const { db } = s.server.ctx.database;
      // The tenant's Accept carries about 2000 bytes of attributes (the most a tenant may set).
      const classes = Array.from({ length: 8 }, (_, i) => ({ name: "Class", value: `${i}`.repeat(250) }));
      await updateTenant(db, tenantId, { radiusReplyAttributes: classes }, s.clock.now());
      try {
        // 12 Proxy-States of 200 bytes: the request fits in 4096 bytes, an Accept echoing them not.
        const proxyStates = Array.from({ length: 12 }, (_, i): [string, Buffer] => [
          "Proxy-State",
          Buffer.alloc(200, i),
        ]);
        const code = totp();
        const crowded = accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${code}`],
          ...proxyStates,
        ]);
        assert.ok(crowded.length <= 4096);
        assert.equal(await exchange(crowded, 1000), undefined, "no answer, not even a malformed one");
        // A few Proxy-States are echoed, in order, after the tenant's attributes.
        const few = accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${code}`],
          ["Proxy-State", Buffer.from("hop-1")],
          ["Proxy-State", Buffer.from("hop-2")],
        ]);
        const answer = await exchange(few);
        assert.equal(answer?.code, "Access-Accept", "the code was not spent by the dropped request");
        assert.deepEqual(
          answer?.raw_attributes.filter(([type]) => type === 33).map(([, value]) => value.toString()),
          ["hop-1", "hop-2"],
        );
      } finally {
        await updateTenant(db, tenantId, { radiusReplyAttributes: [] }, s.clock.now());
      }
    });

    test("a user whose only second factor is a security key is never let in on the password", async () => {
      const username = await newUser(false);
      const registered = await register(s, apiKey, username);
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      for (const password of ["correct horse", `correct horse,${totp()}`]) {
        const answer = await exchange(
          accessRequest([
            ["User-Name", username],
            ["User-Password", password],
          ]),
        );
        assert.equal(answer?.code, "Access-Reject", password);
      }
      const rows = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.subject === `user:${username}`,
        2,
      );
      assert.deepEqual(
        rows.map((row) => Number(row.result_code)),
        [ApiReturnCode.NoDevicesDefined, ApiReturnCode.NoDevicesDefined],
      );
    });

    test("a code accepted inline does not answer a challenge, nor the other way round", async () => {
      const username = await newUser(true);
      const code = totp();
      const inline = accessRequest([
        ["User-Name", username],
        ["User-Password", `correct horse,${code}`],
      ]);
      assert.equal((await exchange(inline))?.code, "Access-Accept");
      const challenged = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", "correct horse"],
        ]),
      );
      assert.equal(challenged?.code, "Access-Challenge");
      const reused = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", code],
          ["State", challenged?.attributes.State as Buffer],
        ]),
      );
      assert.equal(reused?.code, "Access-Reject", "the inline code answers no challenge");
      // The next period's code answers a fresh challenge; then inline it is used up.
      s.clock.advance(30_000);
      const next = totp();
      const again = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", "correct horse"],
        ]),
      );
      const answered = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", next],
          ["State", again?.attributes.State as Buffer],
        ]),
      );
      assert.equal(answered?.code, "Access-Accept");
      const replayed = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${next}`],
        ]),
      );
      assert.equal(replayed?.code, "Access-Reject", "the challenge's code is not accepted inline");
    });

    test("wrong codes to many open challenges at once: at most the token's limit evaluated, then locked for the right code too", async () => {
      const username = await newUser(true);
      const states: Buffer[] = [];
      for (let i = 0; i < 10; i++) {
        const challenged = await exchange(
          accessRequest([
            ["User-Name", username],
            ["User-Password", "correct horse"],
          ]),
        );
        assert.equal(challenged?.code, "Access-Challenge");
        states.push(challenged?.attributes.State as Buffer);
      }
      const right = totp();
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
      const answers = await Promise.all(
        states.slice(0, 9).map((state) =>
          exchange(
            accessRequest([
              ["User-Name", username],
              ["User-Password", wrong],
              ["State", state],
            ]),
          ),
        ),
      );
      assert.deepEqual(new Set(answers.map((a) => a?.code)), new Set(["Access-Reject"]));
      const last = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", right],
          ["State", states[9] as Buffer],
        ]),
      );
      assert.equal(last?.code, "Access-Reject", "the token is locked: the right code is refused alike");
      const rows = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.subject === `user:${username}` && row.operation === "radius.access-request",
        10,
      );
      const evaluated = rows.filter((row) => Number(row.result_code) === ApiReturnCode.OTPInvalid).length;
      assert.ok(evaluated <= 5, `${evaluated} wrong codes evaluated, the limit is 5`);
      assert.equal(
        Number(rows.at(-1)?.result_code),
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
        "the right code was answered as locked",
      );
    });

    test("a loosened client's request with Proxy-State and no Message-Authenticator (BlastRADIUS's shape) is dropped", async () => {
      const username = await newUser(false);
      const legacyExchange = async (request: Buffer, waitMs = 5000) => {
        forget(legacy, request.readUInt8(1));
        legacy.send(request, port);
        const response = await legacy.answer(request.readUInt8(1), waitMs);
        return response === undefined
          ? undefined
          : radius.decode({ packet: response, secret: LEGACY_SECRET });
      };
      const attributes: [string, string | Buffer][] = [
        ["User-Name", username],
        ["User-Password", "correct horse"],
      ];
      const forged = accessRequest([...attributes, ["Proxy-State", Buffer.from("collision blocks")]], {
        secret: LEGACY_SECRET,
        messageAuthenticator: false,
      });
      assert.equal(await legacyExchange(forged, 1000), undefined, "no answer to the attack's shape");
      const [dropped] = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.operation === "radius.drop.no-message-authenticator" && row.source_ip === "127.0.0.2",
      );
      assert.equal(Number(dropped?.result_code), ApiReturnCode.GetRadiusServerClientList);
      // What the loosening is for: legacy gear's request without Message-Authenticator, no Proxy-State.
      const plain = accessRequest(attributes, { secret: LEGACY_SECRET, messageAuthenticator: false });
      assert.equal((await legacyExchange(plain))?.code, "Access-Accept");
      // Signed, Proxy-State is echoed as ever.
      const signed = accessRequest([...attributes, ["Proxy-State", Buffer.from("hop")]], {
        secret: LEGACY_SECRET,
      });
      const answer = await legacyExchange(signed);
      assert.equal(answer?.code, "Access-Accept");
      assert.equal(answer?.attributes["Proxy-State"]?.toString(), "hop");
    });

    test("an IPv6 range cannot claim every IPv4 source through the IPv4-mapped addresses", async () => {
      // A server of its own: here no tenant has an IPv4 client yet that the range would overlap.
      const fresh = await startTestServer(backend);
      try {
        await squat(fresh);
      } finally {
        await fresh.close();
      }
    });

    const squat = async (s: TestServer) => {
      const squatter = await s.tenant();
      for (const address of ["::/32", "::/80", "0:0:0:0::/64"]) {
        const r = await s.api("POST", "/v1/radius/clients", {
          apiKey: squatter.apiKey,
          body: { name: "squat", address, secret: SECRET },
          scenario: "radius attacks: IPv6 range over the IPv4-mapped block",
        });
        assert.equal(r.status, 400, `${address}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.match(String(r.body.errorMessage), /::ffff:0:0\/96/);
      }
      // Every other tenant can still add its IPv4 gear.
      const other = await s.tenant();
      await addRadiusClient(s, other.apiKey, { address: "192.0.2.7", secret: SECRET });
    };

    test("the answer cache is keyed by client, source port, identifier and authenticator: no answer goes astray", async () => {
      const username = await newUser(true);
      const authenticator = Buffer.alloc(16, 0x5a);
      const build = (secret: string, password: string, identifier = 77) =>
        radius.encode({
          code: "Access-Request",
          secret,
          identifier,
          authenticator,
          attributes: [
            ["User-Name", username],
            ["User-Password", password],
          ],
          add_message_authenticator: true,
        });
      const first = build(SECRET, `correct horse,${totp()}`);
      assert.equal((await exchange(first))?.code, "Access-Accept");
      // Another client sending the same identifier and authenticator gets its own answer, signed
      // with its own secret: the first client's cached Accept is not handed out.
      const other = build(LEGACY_SECRET, "wrong horse");
      forget(legacy, 77);
      legacy.send(other, port);
      const otherAnswer = await legacy.answer(77);
      assert.ok(otherAnswer !== undefined);
      assert.equal(
        radius.verify_response({ request: other, response: otherAnswer, secret: LEGACY_SECRET }),
        true,
      );
      assert.equal(radius.decode({ packet: otherAnswer, secret: LEGACY_SECRET }).code, "Access-Reject");
      // The same bytes from another source port are a new request: the code is spent by now.
      const elsewhere = await RadiusTestClient.open("127.0.0.1");
      try {
        elsewhere.send(first, port);
        const fresh = await elsewhere.answer(77);
        assert.ok(fresh !== undefined);
        assert.equal(radius.decode({ packet: fresh, secret: SECRET }).code, "Access-Reject");
      } finally {
        elsewhere.close();
      }
      // The same identifier with another authenticator is a new request too.
      const renewed = radius.encode({
        code: "Access-Request",
        secret: SECRET,
        identifier: 77,
        attributes: [
          ["User-Name", username],
          ["User-Password", `correct horse,${totp()}`],
        ],
        add_message_authenticator: true,
      });
      assert.notDeepEqual(renewed.subarray(4, 20), authenticator);
      assert.equal((await exchange(renewed))?.code, "Access-Reject", "not the cached Accept");
    });

    test("a stored reply attribute list that no longer encodes: no answer, and no code spent on it", async () => {
      const username = await newUser(true);
      const { db } = s.server.ctx.database;
      // As after an upgrade whose dictionary no longer takes a stored name: written past the API's check.
      await db
        .updateTable("tenants")
        .set({ radius_reply_attributes: JSON.stringify([{ name: "Reply-Message", value: "hello" }]) })
        .where("id", "=", tenantId)
        .execute();
      const code = totp();
      try {
        const refused = await exchange(
          accessRequest([
            ["User-Name", username],
            ["User-Password", `correct horse,${code}`],
          ]),
          1000,
        );
        assert.equal(refused, undefined, "no Accept without the configured restrictions");
      } finally {
        await updateTenant(db, tenantId, { radiusReplyAttributes: [] }, s.clock.now());
      }
      const answer = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${code}`],
        ]),
      );
      assert.equal(answer?.code, "Access-Accept", "the code was not spent by the request left unanswered");
    });

    test("a separator inside the password, non-UTF-8 and NUL bytes in names: answered as documented, never a crash", async () => {
      n += 1;
      const username = `sep${n}`;
      const password = "pa,ss,123,word";
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password },
        scenario: "radius attacks: setup",
      });
      const t = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
        scenario: "radius attacks: setup",
      });
      assert.equal(t.status, 201);
      const ask = (userName: string | Buffer, userPassword: string) =>
        exchange(
          accessRequest([
            ["User-Name", userName],
            ["User-Password", userPassword],
          ]),
        );
      // Only 6 or 8 digits after the last separator are a code: the rest is all password.
      assert.equal((await ask(username, password))?.code, "Access-Challenge");
      assert.equal((await ask(username, `${password},${totp()}`))?.code, "Access-Accept");
      for (const name of [Buffer.from([0xff, 0xfe, 0x41]), Buffer.from(`${username}\0`), Buffer.from([0])]) {
        assert.equal((await ask(name, password))?.code, "Access-Reject", name.toString("hex"));
      }
      const subjects = await s.server.ctx.database.db
        .selectFrom("audit_events")
        .select("subject")
        .where("operation", "in", ["radius.access-request", "radius.access-challenge"])
        .where("tenant_id", "=", tenantId)
        .execute();
      for (const { subject } of subjects)
        assert.ok(subject === null || /^user:[\x20-\x7e]+$/.test(subject), JSON.stringify(subject));
    });

    test("a client authenticates only its own tenant's users: another tenant's user is unknown here", async () => {
      const other = await s.tenant();
      n += 1;
      const username = `elsewhere${n}`;
      const created = await s.api("POST", "/v1/users", {
        apiKey: other.apiKey,
        body: { username, password: "correct horse" },
        scenario: "radius attacks: setup",
      });
      assert.equal(created.status, 201);
      const answer = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", "correct horse"],
        ]),
      );
      assert.equal(answer?.code, "Access-Reject");
      const [row] = await auditRowsEventually(
        s.server.ctx.database.db,
        (r) => r.subject === `user:${username}`,
      );
      assert.equal(Number(row?.result_code), ApiReturnCode.InvalidPartnerUserLogin);
    });

    test("a State past its expiry is refused, and the code it would have taken stays unspent", async () => {
      const username = await newUser(true);
      const challenged = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", "correct horse"],
        ]),
      );
      assert.equal(challenged?.code, "Access-Challenge");
      const state = challenged?.attributes.State as Buffer;
      s.clock.advance(CHALLENGE_TTL_MS);
      const late = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", totp()],
          ["State", state],
        ]),
      );
      assert.equal(late?.code, "Access-Reject");
      const inline = await exchange(
        accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${totp()}`],
        ]),
      );
      assert.equal(inline?.code, "Access-Accept", "the refused answer spent no code");
    });
  });
}
