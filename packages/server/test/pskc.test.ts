import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { parsePskc } from "../src/authenticators/pskc/parse-pskc.ts";
import { oathtoolHotp, oathtoolTotp } from "./helpers/oathtool.ts";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/pskc/${name}`, import.meta.url), "utf8");
const plain = fixture("rfc6030-figure2-plain.pskc");
const encrypted = fixture("rfc6030-figure6-preshared.pskc");
const psk = "12345678901234567890123456789012";
const rfcSecretHex = Buffer.from("12345678901234567890").toString("hex");

/** A container of our own: several tokens, some of them unusable. */
function container(packages: string[]): string {
  return `<?xml version="1.0"?><pskc:KeyContainer Version="1.0" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">${packages.join("")}</pskc:KeyContainer>`;
}
function pkg(serial: string, algorithm: string, secretB64: string, extra = "") {
  return `<pskc:KeyPackage><pskc:DeviceInfo><pskc:SerialNo>${serial}</pskc:SerialNo></pskc:DeviceInfo><pskc:Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:${algorithm}"><pskc:AlgorithmParameters>${extra}<pskc:ResponseFormat Length="6" Encoding="DECIMAL"/></pskc:AlgorithmParameters><pskc:Data><pskc:Secret><pskc:PlainValue>${secretB64}</pskc:PlainValue></pskc:Secret><pskc:TimeInterval><pskc:PlainValue>30</pskc:PlainValue></pskc:TimeInterval></pskc:Data></pskc:Key></pskc:KeyPackage>`;
}
const seed = Buffer.from("0123456789abcdef0123", "utf8");

test("RFC 6030: the plain example and the pre-shared-key example (AES-128-CBC, HMAC-SHA1) give the same token", async () => {
  const [a] = (await parsePskc(plain)).entries;
  const [b] = (await parsePskc(encrypted, { preSharedKey: Buffer.from(psk, "hex") })).entries;
  for (const entry of [a, b]) {
    assert.ok(entry?.ok);
    assert.equal(entry.token.serial, "987654321");
    assert.equal(entry.token.type, "hotp");
    assert.equal(entry.token.digits, 8);
    assert.equal(entry.token.secret.toString(), "12345678901234567890");
  }
  await assert.rejects(parsePskc(encrypted), /pre-shared key is needed/);
  await assert.rejects(
    parsePskc(encrypted, { preSharedKey: Buffer.from("00".repeat(16), "hex") }),
    /MAC key/,
  );
  await assert.rejects(parsePskc("<not xml"), /KeyContainer|well-formed/);
});

for (const backend of backends) {
  suite(`hardware tokens (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("import into the pool, assign the next token, validate its codes; an empty pool is NoDevicesAvailable", async () => {
      const { apiKey } = await s.tenant();
      const call = (method: string, path: string, body: unknown, scenario: string) =>
        s.api(method, path, { apiKey, body, scenario });
      const imported = await call(
        "POST",
        "/v1/authenticators/import",
        { pskc: encrypted, preSharedKey: psk },
        "pskc: import encrypted",
      );
      assert.deepEqual(
        { imported: imported.body.imported, rejected: imported.body.rejected },
        { imported: 1, rejected: [] },
      );
      await call("POST", "/v1/users", { username: "hw" }, "pskc: setup");
      const assigned = await call(
        "POST",
        "/v1/authenticators/assign-next",
        { username: "hw" },
        "pskc: assign next",
      );
      assert.equal((assigned.body.authenticator as { serial: string }).serial, "987654321");
      const code = oathtoolHotp(rfcSecretHex, 0, 8);
      assert.equal(
        (await call("POST", "/v1/auth/otp", { username: "hw", otp: code }, "pskc: hardware code")).body
          .errorCode,
        0,
      );
      const empty = await call(
        "POST",
        "/v1/authenticators/assign-next",
        { username: "hw" },
        "pskc: pool empty",
      );
      assert.equal(empty.status, 409);
      assert.equal(empty.body.errorCode, ApiReturnCode.NoDevicesAvailable);
      const again = await call(
        "POST",
        "/v1/authenticators/import",
        { pskc: plain },
        "pskc: import duplicate",
      );
      // Nothing imported is a refusal naming each key's reason, not a success.
      assert.equal(again.body.errorCode, ApiReturnCode.InvalidDeviceConfig);
      assert.match(
        String(again.body.errorMessage),
        /nothing imported \(987654321: serial number already exists\)/,
      );
    });

    test("a wrong or missing pre-shared key, or a document that is not PSKC, is InvalidDeviceConfig naming the file", async () => {
      const { apiKey } = await s.tenant();
      for (const [body, label] of [
        [{ pskc: encrypted, preSharedKey: "00".repeat(16) }, "wrong key"],
        [{ pskc: encrypted }, "no key"],
        [{ pskc: "<html></html>" }, "not PSKC"],
      ] as const) {
        const r = await s.api("POST", "/v1/authenticators/import", {
          apiKey,
          body,
          scenario: "pskc: refused",
        });
        assert.equal(r.body.errorCode, ApiReturnCode.InvalidDeviceConfig, label);
        assert.equal(r.body.field, "body.pskc");
      }
    });

    test("each bad entry is reported by serial; the good ones are imported, TOTP with SHA-256 included", async () => {
      const { apiKey } = await s.tenant();
      const xml = container([
        pkg(`T256-${backend}`, "totp", seed.toString("base64"), "<pskc:Suite>HMAC-SHA256</pskc:Suite>"),
        pkg(`SHORT-${backend}`, "hotp", Buffer.from("short").toString("base64")),
        pkg(`OCRA-${backend}`, "ocra", seed.toString("base64")),
        pkg(`H1-${backend}`, "hotp", seed.toString("base64")),
      ]);
      const r = await s.api("POST", "/v1/authenticators/import", {
        apiKey,
        body: { pskc: xml },
        scenario: "pskc: mixed container",
      });
      assert.equal(r.body.imported, 2);
      assert.deepEqual(
        (r.body.rejected as { serial: string }[]).map((x) => x.serial),
        [`SHORT-${backend}`, `OCRA-${backend}`],
      );
      await s.api("POST", "/v1/users", { apiKey, body: { username: "t256" }, scenario: "pskc: setup" });
      await s.api("POST", `/v1/authenticators/T256-${backend}/assign`, {
        apiKey,
        body: { username: "t256" },
        scenario: "pskc: assign",
      });
      const code = oathtoolTotp(seed.toString("hex"), s.clock.now(), { algorithm: "SHA256" });
      assert.equal(
        (
          await s.api("POST", "/v1/auth/otp", {
            apiKey,
            body: { username: "t256", otp: code },
            scenario: "pskc: totp sha256",
          })
        ).body.errorCode,
        0,
      );
    });

    test("concurrent assign-next never hands one token to two users", async () => {
      const { apiKey } = await s.tenant();
      const xml = container([
        pkg(`P1-${backend}`, "hotp", seed.toString("base64")),
        pkg(`P2-${backend}`, "hotp", seed.toString("base64")),
      ]);
      await s.api("POST", "/v1/authenticators/import", {
        apiKey,
        body: { pskc: xml },
        scenario: "pskc: import pool",
      });
      for (let i = 0; i < 5; i += 1)
        await s.api("POST", "/v1/users", { apiKey, body: { username: `p${i}` }, scenario: "pskc: setup" });
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          s.api("POST", "/v1/authenticators/assign-next", {
            apiKey,
            body: { username: `p${i}` },
            scenario: "pskc: concurrent assign",
          }),
        ),
      );
      const serials = results
        .filter((r) => r.body.errorCode === 0)
        .map((r) => (r.body.authenticator as { serial: string }).serial);
      assert.deepEqual(serials.sort(), [`P1-${backend}`, `P2-${backend}`]);
      assert.equal(results.filter((r) => r.body.errorCode === ApiReturnCode.NoDevicesAvailable).length, 3);
    });

    test("deleting a user never puts their token back into the pool", async () => {
      const { apiKey } = await s.tenant();
      const call = (method: string, path: string, body: unknown, scenario: string) =>
        s.api(method, path, { apiKey, body, scenario });
      await call(
        "POST",
        "/v1/authenticators/import",
        { pskc: container([pkg(`D1-${backend}`, "hotp", seed.toString("base64"))]) },
        "pskc: import pool",
      );
      for (const username of ["leaver", "joiner"])
        await call("POST", "/v1/users", { username }, "pskc: setup");
      assert.equal(
        (await call("POST", "/v1/authenticators/assign-next", { username: "leaver" }, "pskc: assign next"))
          .body.errorCode,
        0,
      );
      await call("DELETE", "/v1/users/leaver", undefined, "pskc: delete holder");
      const token = (
        await call("GET", `/v1/authenticators/D1-${backend}`, undefined, "pskc: token after delete")
      ).body.authenticator as { username: string | null; enabled: boolean };
      assert.deepEqual(
        { username: token.username, enabled: token.enabled },
        { username: null, enabled: false },
      );
      const next = await call(
        "POST",
        "/v1/authenticators/assign-next",
        { username: "joiner" },
        "pskc: pool after delete",
      );
      assert.equal(
        next.body.errorCode,
        ApiReturnCode.NoDevicesAvailable,
        "the former user's token is not handed out",
      );
    });

    test("tessera token import shows progress and a summary", async () => {
      await s.tenant(`pskc-cli-${backend}`);
      const { dataDir, databaseUrl } = s.server.ctx.config;
      const file = join(dataDir, "tokens.pskc");
      writeFileSync(
        file,
        container([
          pkg(`C1-${backend}`, "hotp", seed.toString("base64")),
          pkg(`C2-${backend}`, "ocra", seed.toString("base64")),
        ]),
      );
      const r = await runCli(
        [
          "--data-dir",
          dataDir,
          ...(databaseUrl ? ["--database-url", databaseUrl] : []),
          "token",
          "import",
          "--tenant",
          `pskc-cli-${backend}`,
          file,
          "--json",
        ],
        {
          env: { TESSERA_LOG_LEVEL: "silent" },
          scenario: "pskc: cli import",
        },
      );
      assert.equal(r.status, 2, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        imported: 1,
        rejected: [
          {
            serial: `C2-${backend}`,
            reason: "unsupported algorithm urn:ietf:params:xml:ns:keyprov:pskc:ocra",
          },
        ],
        signature: "none",
      });
      assert.match(r.stderr, /importing: 100% \(2\/2\)/);
    });
  });
}
