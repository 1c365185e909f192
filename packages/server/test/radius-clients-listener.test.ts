import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { createRequire } from "node:module";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { until } from "./helpers/link.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { radclient as radclientAnswer } from "./helpers/radius.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The client list as the RADIUS listener applies it, end to end over UDP: a packet from a source
 * missing from the list, with a wrong secret, or without the Message-Authenticator its client
 * requires is dropped unanswered, counted and audited as GetRadiusServerClientList (9042); the
 * client's own packets are answered. radclient (Debian's freeradius-utils) is a peer nobody here
 * wrote; the unknown source is 127.0.0.2, still loopback.
 */
interface RadiusCodec {
  encode(args: Record<string, unknown>): Buffer;
  decode(args: { packet: Buffer; secret: string }): { code: string };
}
const radius = createRequire(import.meta.url)("radius") as RadiusCodec;
const secret = "k8Vq2rT9xLm4pZ7wNc3bHs6d";

/** One try; a packet that must be dropped is given up on after a second, an answer waited for longer. */
function radclient(
  port: number,
  key: string,
  attributes: string,
  timeoutSeconds = 1,
): Promise<{ status: number | null; stdout: string }> {
  const timeout = String(timeoutSeconds);
  const child = spawn("radclient", ["-r", "1", "-t", timeout, `127.0.0.1:${port}`, "auth", key], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stdin.end(`${attributes}\n`);
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout })));
}

for (const backend of backends) {
  suite(`RADIUS clients at the listener (${backend})`, () => {
    let s: TestServer;
    let port: number;
    before(async () => {
      s = await startTestServer(backend, {
        flags: {
          "radius.enabled": true,
          "radius.host": "127.0.0.1",
          "radius.port": 0,
          "radius.accountingPort": 0,
        },
      });
      port = s.server.radius?.port as number;
    });
    after(() => s.close());

    const dropped = async (reason: string) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`tessera_radius_packets_dropped_total{reason="${reason}"}`));
      return Number(line?.split(" ")[1]);
    };
    const audited = async (operation: string) => {
      const events = await s.server.ctx.database.db
        .selectFrom("audit_events")
        .select(["result_code", "source_ip", "tenant_id"])
        .where("operation", "=", operation)
        .execute();
      for (const e of events)
        recordObservedCode("api", Number(e.result_code), "radius clients: listener drops");
      return events;
    };

    const tenantOf = async (apiKey: string) =>
      (
        (await s.api("GET", "/v1/tenant", { apiKey, scenario: "radius clients: listener" })).body.tenant as {
          id: string;
        }
      ).id;

    test("unknown sources, wrong secrets and missing Message-Authenticators get no answer and are recorded", async () => {
      const { apiKey } = await s.tenant();
      const added = await s.api("POST", "/v1/radius/clients", {
        apiKey,
        body: { name: "loopback", address: "127.0.0.1", secret },
        scenario: "radius clients: listener drops",
      });
      assert.equal(added.status, 201);

      // The client itself is answered (an unknown user: Access-Reject), so silence below means a drop.
      const answered = await radclient(
        port,
        secret,
        "User-Name = nobody, User-Password = 'x', Message-Authenticator = 0x00",
        10,
      );
      assert.match(answered.stdout, /Received Access-Reject/, answered.stdout);

      const wrong = await radclient(
        port,
        "not-the-secret-at-all",
        "User-Name = nobody, User-Password = 'x', Message-Authenticator = 0x00",
      );
      assert.notEqual(wrong.status, 0);
      assert.doesNotMatch(wrong.stdout, /Received/);
      await until(async () => (await dropped("wrong-secret")) >= 1, "the wrong secret counted");

      const bare = await radclient(port, secret, "User-Name = nobody, User-Password = 'x'");
      assert.doesNotMatch(bare.stdout, /Received/);
      await until(
        async () => (await dropped("no-message-authenticator")) >= 1,
        "the missing Message-Authenticator counted",
      );

      // From 127.0.0.2, a source missing from the list, with the right secret and everything else right.
      const stranger = createSocket("udp4");
      stranger.bind(0, "127.0.0.2");
      await once(stranger, "listening");
      const replies: Buffer[] = [];
      stranger.on("message", (message) => replies.push(message));
      const packet = radius.encode({
        code: "Access-Request",
        identifier: 1,
        secret,
        attributes: [
          ["User-Name", "nobody"],
          ["User-Password", "x"],
        ],
        add_message_authenticator: true,
      });
      stranger.send(packet, port, "127.0.0.1");
      await until(async () => (await dropped("unknown-source")) >= 1, "the unknown source counted");
      // The same request from the client's own address is answered: the source alone decided.
      const own = createSocket("udp4");
      own.bind(0, "127.0.0.1");
      await once(own, "listening");
      own.send(packet, port, "127.0.0.1");
      const [answer] = (await once(own, "message")) as [Buffer];
      assert.equal(radius.decode({ packet: answer, secret }).code, "Access-Reject");
      own.close();
      assert.deepEqual(replies, [], "nothing was sent to the unknown source");
      stranger.close();

      const [wrongSecret] = await audited("radius.drop.wrong-secret");
      assert.equal(wrongSecret?.tenant_id, await tenantOf(apiKey), "a known client's tenant is named");
      for (const [operation, source] of [
        ["radius.drop.wrong-secret", "127.0.0.1"],
        ["radius.drop.no-message-authenticator", "127.0.0.1"],
        ["radius.drop.unknown-source", "127.0.0.2"],
      ] as const) {
        const events = await audited(operation);
        assert.equal(events.length, 1, operation);
        assert.equal(Number(events[0]?.result_code), ApiReturnCode.GetRadiusServerClientList);
        assert.equal(events[0]?.source_ip, source);
      }
    });

    test("an Access-Accept carries the tenant's reply attributes, after Message-Authenticator", async () => {
      const { apiKey } = await s.tenant(undefined, {
        radiusReplyAttributes: [
          { name: "Session-Timeout", value: 28800 },
          { name: "Class", value: "vpn-staff" },
          { name: "Filter-Id", value: "staff-acl" },
          { name: "Vendor-Specific", vendorId: 9, vendorType: 1, value: "shell:priv-lvl=15" },
        ],
      });
      // The first test's tenant holds 127.0.0.1 and a source identifies one tenant: its client goes.
      await s.server.ctx.database.db.deleteFrom("radius_clients").execute();
      const added = await s.api("POST", "/v1/radius/clients", {
        apiKey,
        body: { name: "vpn", address: "127.0.0.1", secret },
        scenario: "radius clients: listener accept",
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const secretHex = "3132333435363738393031323334353637383930";
      const user = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice", password: "correct horse" },
        scenario: "radius clients: listener accept",
      });
      assert.equal(user.status, 201);
      const token = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username: "alice" },
        scenario: "radius clients: listener accept",
      });
      assert.equal(token.status, 201);
      const answer = await radclientAnswer({ port }, "auth", secret, [
        'User-Name = "alice"',
        `User-Password = "correct horse,${oathtoolTotp(secretHex, s.clock.now())}"`,
        "Message-Authenticator = 0x00",
      ]);
      assert.equal(answer.code, "Access-Accept", answer.output);
      assert.equal(answer.attributes[0]?.[0], "Message-Authenticator", answer.output);
      const value = (name: string) => answer.attributes.find(([n]) => n === name)?.[1];
      assert.equal(value("Session-Timeout"), "28800", answer.output);
      assert.match(value("Class") ?? "", /^(0x76706e2d7374616666|"?vpn-staff"?)$/, answer.output);
      assert.match(value("Filter-Id") ?? "", /staff-acl/, answer.output);
      assert.match(answer.output, /shell:priv-lvl=15|Cisco-AVPair/, answer.output);
    });
  });
}
