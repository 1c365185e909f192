import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import radius from "radius";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { freeUdpPort, RadiusTestClient, radclient } from "./helpers/radius.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

const secretHex = "3132333435363738393031323334353637383930";
const SECRET = "two-process-secret";

/**
 * The challenge state and the duplicate cache live in the database: only two real `tessera start`
 * processes on one PostgreSQL show that a challenge sent by one is answered by the other, that one
 * State is spent once whichever process gets it, and that a retransmission to the other process
 * gets the first answer. The processes run on the real clock, with production defaults.
 */
suite("RADIUS across two tessera start processes on one PostgreSQL", () => {
  let database: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  const ports = { a: 0, b: 0 };
  before(async () => {
    database = await createTestDatabase("postgres");
    const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
    const created = await runCli([...data, "tenant", "create", "radius", "--json"], {
      scenario: "radius processes: setup",
    });
    apiKey = JSON.parse(created.stdout).apiKey as string;
    const start = async (port: number) =>
      startServerProcess(data, {
        TESSERA_RADIUS_ENABLED: "true",
        TESSERA_RADIUS_PORT: String(port),
        TESSERA_RADIUS_ACCOUNTING_PORT: "0",
      });
    ports.a = await freeUdpPort();
    a = await start(ports.a);
    ports.b = await freeUdpPort();
    b = await start(ports.b);
    // Both processes log the listener once it is bound.
    for (const p of [a, b])
      for (let i = 0; !p.logs.some((line) => line.msg === "RADIUS listening"); i += 1) {
        assert.ok(i < 500, "the RADIUS listener did not start");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    const call = keyedClient(a.url, apiKey);
    assert.equal(
      (
        await call("POST", "/v1/radius/clients", "radius processes: setup", {
          name: "vpn",
          address: "127.0.0.1",
          secret: SECRET,
        })
      ).status,
      201,
    );
  });
  after(async () => {
    await a?.stop("SIGKILL");
    await b?.stop("SIGKILL");
    await database?.drop();
  });

  const newUser = async (username: string) => {
    const call = keyedClient(a.url, apiKey);
    assert.equal(
      (await call("POST", "/v1/users", "radius processes: setup", { username, password: "correct horse" }))
        .status,
      201,
    );
    const t = await call("POST", "/v1/authenticators", "radius processes: setup", {
      type: "totp",
      secret: encodeBase32(Buffer.from(secretHex, "hex")),
      username,
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
  };
  const pap = (port: number, username: string, password: string, state?: string) =>
    radclient({ port }, "auth", SECRET, [
      `User-Name = "${username}"`,
      `User-Password = "${password}"`,
      "Message-Authenticator = 0x00",
      ...(state === undefined ? [] : [`State = ${state}`]),
    ]);
  const stateOf = (answer: { attributes: readonly (readonly [string, string])[] }) =>
    answer.attributes.find(([name]) => name === "State")?.[1];

  test("a challenge sent by one process is answered by the other", async () => {
    await newUser("alice");
    const challenge = await pap(ports.a, "alice", "correct horse");
    assert.equal(challenge.code, "Access-Challenge", challenge.output);
    const accepted = await pap(ports.b, "alice", oathtoolTotp(secretHex, Date.now()), stateOf(challenge));
    assert.equal(accepted.code, "Access-Accept", accepted.output);
  });

  test("one State answered 10 times at once over both processes: one Accept", async () => {
    await newUser("bob");
    const challenge = await pap(ports.a, "bob", "correct horse");
    const state = stateOf(challenge);
    const code = oathtoolTotp(secretHex, Date.now());
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_v, i) => pap(i % 2 === 0 ? ports.a : ports.b, "bob", code, state)),
    );
    assert.equal(
      answers.filter((x) => x.code === "Access-Accept").length,
      1,
      answers.map((x) => x.code).join(),
    );
    assert.equal(answers.filter((x) => x.code === undefined).length, 0);
  });

  test("a retransmission to the other process gets the first answer's bytes", async () => {
    await newUser("carol");
    const client = await RadiusTestClient.open();
    try {
      const request = radius.encode({
        code: "Access-Request",
        secret: SECRET,
        identifier: 7,
        attributes: [
          ["User-Name", "carol"],
          ["User-Password", `correct horse,${oathtoolTotp(secretHex, Date.now())}`],
        ],
        add_message_authenticator: true,
      });
      client.send(request, ports.a);
      const first = await client.answer(7);
      assert.ok(first !== undefined);
      client.received.length = 0;
      client.send(request, ports.b);
      const second = await client.answer(7);
      assert.deepEqual(second, first);
      assert.equal(radius.decode({ packet: first, secret: SECRET }).code, "Access-Accept");
    } finally {
      client.close();
    }
  });

  test("12 wrong passwords at once over both processes: at most 5 evaluated, then the right one is refused too", async () => {
    await newUser("dave");
    const client = await RadiusTestClient.open();
    try {
      const send = (identifier: number, password: string, port: number) => {
        const request = radius.encode({
          code: "Access-Request",
          secret: SECRET,
          identifier,
          attributes: [
            ["User-Name", "dave"],
            ["User-Password", password],
          ],
          add_message_authenticator: true,
        });
        client.send(request, port);
        return client.answer(identifier, 15_000);
      };
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_v, i) =>
          send(100 + i, `wrong horse ${i}`, i % 2 === 0 ? ports.a : ports.b),
        ),
      );
      for (const answer of answers) {
        assert.ok(answer !== undefined, "every guess is answered");
        assert.equal(radius.decode({ packet: answer, secret: SECRET }).code, "Access-Reject");
      }
      const right = await send(120, "correct horse", ports.b);
      assert.ok(right !== undefined);
      assert.equal(
        radius.decode({ packet: right, secret: SECRET }).code,
        "Access-Reject",
        "the account is locked: the right password gets no challenge",
      );
    } finally {
      client.close();
    }
    const trail = await keyedClient(a.url, apiKey)(
      "GET",
      "/v1/audit?subject=user:dave&operation=radius.access-request&limit=100",
      "radius processes: lockout audit",
    );
    const codes = (trail.body.events as { resultCode: number }[]).map((event) => event.resultCode);
    assert.equal(codes.length, 13, JSON.stringify(codes));
    const evaluated = codes.filter((code) => code === ApiReturnCode.PartnerUserLoginFailed).length;
    assert.ok(evaluated <= 5, `${evaluated} wrong passwords evaluated: ${codes}`);
    assert.equal(
      codes.filter((code) => code === ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded).length,
      13 - evaluated,
      JSON.stringify(codes),
    );
  });

  test("a graceful stop closes the listener: the process exits 0 and the port is free again", async () => {
    assert.equal(await a.stop("SIGTERM"), 0);
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(ports.a, "127.0.0.1", resolve);
    });
    socket.close();
    // The other process still answers.
    const challenge = await pap(ports.b, "alice", "correct horse");
    assert.equal(challenge.code, "Access-Challenge", challenge.output);
  });
});
