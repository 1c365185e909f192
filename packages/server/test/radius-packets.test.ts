import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import fc from "fast-check";
import radius from "radius";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { addRadiusClient, auditRowsEventually, RadiusTestClient } from "./helpers/radius.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const SECRET = "node-client-secret";
const LEGACY_SECRET = "legacy-gear-secret";

let identifiers = 0;
const nextIdentifier = () => {
  identifiers = (identifiers + 1) % 256;
  return identifiers;
};

/** An Access-Request as a NAS makes it, with a Message-Authenticator unless told otherwise. */
function accessRequest(
  attributes: [string, string | Buffer][],
  options: { secret?: string; messageAuthenticator?: boolean; identifier?: number } = {},
): Buffer {
  return radius.encode({
    code: "Access-Request",
    secret: options.secret ?? SECRET,
    identifier: options.identifier ?? nextIdentifier(),
    attributes,
    add_message_authenticator: options.messageAuthenticator ?? true,
  });
}

/** What the package says of a response to `request`, and the order of its attributes. */
function decodeAnswer(request: Buffer, response: Buffer, secret = SECRET) {
  assert.equal(radius.verify_response({ request, response: Buffer.from(response), secret }), true);
  const decoded = radius.decode({ packet: response, secret });
  return {
    code: decoded.code,
    firstAttribute: decoded.raw_attributes[0]?.[0],
    attributes: decoded.attributes,
  };
}

for (const backend of backends) {
  suite(`RADIUS packets from a Node client on the radius package (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let n = 0;
    let port = 0;
    before(async () => {
      s = await startTestServer(backend, { radius: true });
      ({ apiKey } = await s.tenant());
      port = s.server.radius?.port ?? 0;
      await addRadiusClient(s, apiKey, { address: "127.0.0.1", secret: SECRET });
      await addRadiusClient(s, apiKey, {
        address: "127.0.0.2",
        secret: LEGACY_SECRET,
        requireMessageAuthenticator: false,
      });
    });
    after(() => s.close());

    const newUser = async () => {
      n += 1;
      const username = `pkt${n}`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse" },
        scenario: "radius: setup",
      });
      const t = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
        scenario: "radius: setup",
      });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      return username;
    };
    const totp = () => oathtoolTotp(secretHex, s.clock.now());
    const withClient = async <T>(run: (client: RadiusTestClient) => Promise<T>, address = "127.0.0.1") => {
      const client = await RadiusTestClient.open(address);
      try {
        return await run(client);
      } finally {
        client.close();
      }
    };

    test("a retransmission gets the same bytes back and spends no second code", async () => {
      const username = await newUser();
      await withClient(async (client) => {
        const request = accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${totp()}`],
        ]);
        const identifier = request.readUInt8(1);
        client.send(request, port);
        const first = await client.answer(identifier);
        assert.ok(first !== undefined);
        assert.equal(decodeAnswer(request, first).code, "Access-Accept");
        client.received.length = 0;
        client.send(request, port);
        const again = await client.answer(identifier);
        assert.deepEqual(again, first);
        // The same code in a new packet is a second use: refused.
        const fresh = accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${totp()}`],
        ]);
        client.send(fresh, port);
        const refused = await client.answer(fresh.readUInt8(1));
        assert.ok(refused !== undefined);
        assert.equal(decodeAnswer(fresh, refused).code, "Access-Reject");
      });
      const rows = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.subject === `user:${username}`,
        2,
      );
      assert.deepEqual(
        rows.map((row) => row.result_code),
        [ApiReturnCode.Success, ApiReturnCode.OTPAlreadyUsed],
      );
    });

    test("a burst of 20 copies of one packet and 20 packets with one code: one Accept each", async () => {
      const username = await newUser();
      const code = totp();
      await withClient(async (client) => {
        const request = accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${code}`],
        ]);
        for (let i = 0; i < 20; i += 1) client.send(request, port);
        assert.ok((await client.answer(request.readUInt8(1))) !== undefined);
      });
      const other = await newUser();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          withClient(async (client) => {
            const request = accessRequest([
              ["User-Name", other],
              ["User-Password", `correct horse,${code}`],
            ]);
            client.send(request, port);
            const answer = await client.answer(request.readUInt8(1), 20_000);
            return answer === undefined ? "none" : decodeAnswer(request, answer).code;
          }),
        ),
      );
      assert.equal(answers.filter((a) => a === "Access-Accept").length, 1, answers.join());
      const accepted = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.subject === `user:${username}` && row.result_code === ApiReturnCode.Success,
      );
      assert.equal(accepted.length, 1);
    });

    test("every response carries the Message-Authenticator first, also to a request without one", async () => {
      const username = await newUser();
      await withClient(async (client) => {
        const request = accessRequest(
          [
            ["User-Name", username],
            ["User-Password", "correct horse"],
          ],
          { secret: LEGACY_SECRET, messageAuthenticator: false },
        );
        client.send(request, port);
        const answer = await client.answer(request.readUInt8(1));
        assert.ok(answer !== undefined, "a loosened client is answered without a Message-Authenticator");
        const decoded = decodeAnswer(request, answer, LEGACY_SECRET);
        assert.equal(decoded.code, "Access-Challenge");
        assert.equal(decoded.firstAttribute, 80);
      }, "127.0.0.2");
    });

    test("malformed packets (truncated, bad lengths, oversized, no Message-Authenticator) get no answer", async () => {
      const username = await newUser();
      await withClient(async (client) => {
        const good = accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${totp()}`],
        ]);
        const lengthSaying = (packet: Buffer, length: number) => {
          const copy = Buffer.from(packet);
          copy.writeUInt16BE(length, 2);
          return copy;
        };
        const badAttribute = Buffer.from(good);
        badAttribute.writeUInt8(1, 21); // the first attribute claims a length below its header
        const overlong = Buffer.from(good);
        overlong.writeUInt8(250, 21); // the first attribute runs past the packet
        const oversized = Buffer.concat([good, Buffer.alloc(5000)]);
        const hugeLength = lengthSaying(Buffer.concat([good, Buffer.alloc(5000)]), 4097);
        const malformed = [
          Buffer.alloc(0),
          good.subarray(0, 4),
          good.subarray(0, 19),
          good.subarray(0, good.length - 3),
          lengthSaying(good, 19),
          lengthSaying(good, good.length + 10),
          lengthSaying(good, 65535),
          badAttribute,
          overlong,
          oversized,
          hugeLength,
          accessRequest(
            [
              ["User-Name", username],
              ["User-Password", `correct horse,${totp()}`],
            ],
            { messageAuthenticator: false },
          ),
          accessRequest(
            [
              ["User-Name", username],
              ["User-Password", "x"],
            ],
            { secret: "wrong" },
          ),
        ];
        for (const packet of malformed) client.send(packet, port);
        // The good packet goes last; its answer is the only datagram that ever comes back.
        client.send(good, port);
        const answer = await client.answer(good.readUInt8(1));
        assert.ok(answer !== undefined);
        assert.equal(decodeAnswer(good, answer).code, "Access-Accept");
        assert.equal(client.received.length, 1);
      });
    });

    /** Sends each packet from its own socket at once; the answers' codes (undefined: none). */
    const burst = (packets: readonly Buffer[], secret = SECRET) =>
      Promise.all(
        packets.map((request) =>
          withClient(async (client) => {
            client.send(request, port);
            const answer = await client.answer(request.readUInt8(1), 30_000);
            return answer === undefined ? undefined : decodeAnswer(request, answer, secret).code;
          }),
        ),
      );

    test("the account lockout holds through RADIUS: 12 wrong passwords at once, at most 5 evaluated, then locked", async () => {
      const username = await newUser();
      const wrong = Array.from({ length: 12 }, (_v, i) =>
        accessRequest([
          ["User-Name", username],
          ["User-Password", `wrong horse ${i}`],
        ]),
      );
      const codes = await burst(wrong);
      assert.deepEqual(new Set(codes), new Set(["Access-Reject"]));
      const right = await burst([
        accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${totp()}`],
        ]),
      ]);
      assert.deepEqual(right, ["Access-Reject"], "locked: the right password is refused too");
      const rows = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.subject === `user:${username}`,
        13,
      );
      const evaluated = rows.filter((row) => row.result_code === ApiReturnCode.PartnerUserLoginFailed).length;
      assert.ok(evaluated <= 5, `${evaluated} wrong passwords evaluated`);
      assert.equal(rows.at(-1)?.result_code, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      recordObservedCode(
        "api",
        ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
        "radius: account locked by wrong passwords over RADIUS",
      );
      recordObservedCode("api", ApiReturnCode.OTPAlreadyUsed, "radius: a code used twice over RADIUS");
    });

    test("extremes: a 253-byte name, a 128-byte password, two User-Names, no password: Access-Reject, no crash", async () => {
      const username = await newUser();
      const codes = await burst([
        accessRequest([
          ["User-Name", "a".repeat(253)],
          ["User-Password", "correct horse"],
        ]),
        accessRequest([
          ["User-Name", username],
          ["User-Password", "p".repeat(128)],
        ]),
        accessRequest([
          ["User-Name", username],
          ["User-Name", "someone-else"],
          ["User-Password", "correct horse"],
        ]),
        accessRequest([["User-Name", username]]),
        accessRequest([
          ["User-Name", username],
          ["User-Password", "correct horse,99999999999999999999"],
        ]),
      ]);
      assert.deepEqual(codes, Array(5).fill("Access-Reject"));
      // A name that cannot exist is not written into the trail as a subject.
      await auditRowsEventually(
        s.server.ctx.database.db,
        (row) =>
          row.subject === null &&
          row.operation === "radius.access-request" &&
          row.result_code === ApiReturnCode.InvalidPartnerUserLogin,
      );
      const named = await auditRowsEventually(s.server.ctx.database.db, () => true, 0);
      assert.equal(named.filter((row) => row.subject?.includes("aaaaaaaa")).length, 0);
    });

    test("a State is bound to its client: another tenant's client cannot answer it", async () => {
      const username = await newUser();
      const other = await s.tenant();
      await addRadiusClient(s, other.apiKey, { address: "127.0.0.3", secret: "other-tenant-secret" });
      const challenge = accessRequest([
        ["User-Name", username],
        ["User-Password", "correct horse"],
      ]);
      const state = await withClient(async (client) => {
        client.send(challenge, port);
        const answer = await client.answer(challenge.readUInt8(1));
        assert.ok(answer !== undefined);
        const decoded = decodeAnswer(challenge, answer);
        assert.equal(decoded.code, "Access-Challenge");
        return decoded.attributes.State as Buffer;
      });
      const stolen = await withClient(async (client) => {
        const request = accessRequest(
          [
            ["User-Name", username],
            ["User-Password", totp()],
            ["State", state],
          ],
          { secret: "other-tenant-secret" },
        );
        client.send(request, port);
        const answer = await client.answer(request.readUInt8(1));
        assert.ok(answer !== undefined);
        return decodeAnswer(request, answer, "other-tenant-secret").code;
      }, "127.0.0.3");
      assert.equal(stolen, "Access-Reject");
      // The State is still good for its own client: nothing was spent by the other one.
      const [own] = await burst([
        accessRequest([
          ["User-Name", username],
          ["User-Password", totp()],
          ["State", state],
        ]),
      ]);
      assert.equal(own, "Access-Accept");
    });

    test("random bytes and single-byte changes of a signed packet (fast-check): never an answer, never a crash", async () => {
      const username = await newUser();
      const signed = accessRequest([
        ["User-Name", username],
        ["User-Password", "correct horse"],
      ]);
      const arbitraryPacket = fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
        // A plausible header (Access-Request, consistent length) over random attributes.
        fc.uint8Array({ minLength: 0, maxLength: 300 }).map((bytes) => {
          const packet = Buffer.concat([Buffer.alloc(20), Buffer.from(bytes)]);
          packet.writeUInt8(1, 0);
          packet.writeUInt16BE(packet.length, 2);
          return packet;
        }),
        fc.tuple(fc.nat(signed.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
          const packet = Buffer.from(signed);
          packet.writeUInt8(packet.readUInt8(at) ^ xor, at);
          return packet;
        }),
      );
      await withClient(async (client) => {
        await fc.assert(
          fc.asyncProperty(arbitraryPacket, async (packet) => {
            client.send(packet, port);
            // The server runs in this process: let it read the datagram before the next one, or
            // the socket's receive buffer overflows and the kernel drops packets (the good one too).
            await new Promise((resolve) => setTimeout(resolve, 1));
          }),
          { numRuns: 300 },
        );
        const good = accessRequest([
          ["User-Name", username],
          ["User-Password", `correct horse,${totp()}`],
        ]);
        client.send(good, port);
        const answer = await client.answer(good.readUInt8(1), 20_000);
        assert.ok(answer !== undefined, "the listener still answers");
        assert.equal(client.received.length, 1, "only the good packet was answered");
      });
    });
  });
}
