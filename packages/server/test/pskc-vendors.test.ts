import assert from "node:assert/strict";
import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { insertSealedAuthenticator } from "../src/authenticators/authenticator-secret.ts";
import { oathtoolHotp, oathtoolTotp } from "./helpers/oathtool.ts";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** Files from python-pskc's test suite (LGPL-2.1, see fixtures/pskc/LICENSE.python-pskc). */
const corpus = (name: string) =>
  readFileSync(new URL(`./fixtures/pskc/python-pskc/${name}`, import.meta.url), "utf8");
/** python-pskc's encryption files test the cipher only: their Key has no Algorithm. Make it HOTP. */
const asHotp = (xml: string) =>
  xml.replace(
    /<((?:\w+:)?)Key(\s+Id="[^"]*")?>/,
    '<$1Key$2 Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">',
  );
const rfcSecretHex = Buffer.from("12345678901234567890").toString("hex");
const psk128 = "12345678901234567890123456789012";

/** A big-endian unsigned 64-bit integer, as vendors encrypt integers. */
const int64 = (value: bigint) => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return bytes;
};

/** A container of our own, AES-128-CBC under an HMAC-SHA256 MAC, every Data value encrypted. */
function encryptedKey(
  serial: string,
  type: "hotp" | "totp",
  values: Record<string, Buffer>,
): { xml: string; key: string } {
  const key = randomBytes(16);
  const macKey = randomBytes(32);
  const encrypt = (plain: Buffer) => {
    const iv = randomBytes(16);
    const cipher = createCipheriv("aes-128-cbc", key, iv);
    return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
  };
  const value = (plain: Buffer) => {
    const data = encrypt(plain);
    const mac = createHmac("sha256", macKey).update(data).digest("base64");
    return `<EncryptedValue><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><xenc:CipherData><xenc:CipherValue>${data.toString("base64")}</xenc:CipherValue></xenc:CipherData></EncryptedValue><ValueMAC>${mac}</ValueMAC>`;
  };
  const data = Object.entries(values)
    .map(([name, plain]) => `<${name}>${value(plain)}</${name}>`)
    .join("");
  const xml = `<?xml version="1.0"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"><EncryptionKey><ds:KeyName xmlns:ds="http://www.w3.org/2000/09/xmldsig#">Pre-shared-key</ds:KeyName></EncryptionKey><MACMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"><MACKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><xenc:CipherData><xenc:CipherValue>${encrypt(macKey).toString("base64")}</xenc:CipherValue></xenc:CipherData></MACKey></MACMethod><KeyPackage><DeviceInfo><SerialNo>${serial}</SerialNo></DeviceInfo><Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:${type}"><AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters><Data>${data}</Data></Key></KeyPackage></KeyContainer>`;
  return { xml, key: key.toString("hex") };
}
const encryptedHotp = (serial: string, secret: Buffer, counter: bigint) =>
  encryptedKey(serial, "hotp", { Secret: secret, Counter: int64(counter) });

for (const backend of backends) {
  suite(`PSKC as vendors write it (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const importing = async (body: Record<string, unknown>, scenario: string) => {
      const { apiKey } = await s.tenant();
      const r = await s.api("POST", "/v1/authenticators/import", { apiKey, body, scenario });
      return { apiKey, r };
    };
    /** Assigns the serial to a new user and checks a code oathtool computes for it. */
    const validates = async (apiKey: string, serial: string, code: string) => {
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: `u-${serial}` },
        scenario: "pskc vendors: setup",
      });
      await s.api("POST", `/v1/authenticators/${serial}/assign`, {
        apiKey,
        body: { username: `u-${serial}` },
        scenario: "pskc vendors: assign",
      });
      const r = await s.api("POST", "/v1/auth/otp", {
        apiKey,
        body: { username: `u-${serial}`, otp: code },
        scenario: "pskc vendors: code",
      });
      assert.equal(r.body.errorCode, 0, JSON.stringify(r.body));
    };
    const refused = (r: { status: number; body: Record<string, unknown> }, pattern: RegExp) => {
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.InvalidDeviceConfig);
      assert.match(String(r.body.errorMessage), pattern);
    };

    test("the MAC algorithm the file declares: HMAC-SHA224/256/384/512 files import and their codes validate", async () => {
      for (const [file, key, mac] of [
        ["aes128-cbc", psk128, "sha224"],
        ["aes192-cbc", "123456789012345678901234567890123456789012345678", "sha256"],
        ["aes256-cbc", "1234567890123456789012345678901234567890123456789012345678901234", "sha384"],
        ["tripledes-cbc", psk128, "sha512"],
      ] as const) {
        const xml = asHotp(corpus(`encryption/${file}.pskcxml`)).replace(
          "<KeyPackage>",
          `<KeyPackage><DeviceInfo><SerialNo>${file}-${backend}</SerialNo></DeviceInfo>`,
        );
        const { apiKey, r } = await importing(
          { pskc: xml, preSharedKey: key },
          "pskc vendors: mac algorithms",
        );
        assert.equal(r.body.imported, 1, `${file} (${mac}): ${JSON.stringify(r.body)}`);
        await validates(apiKey, `${file}-${backend}`, oathtoolHotp(rfcSecretHex, 0, 6));
      }
    });

    test("an unknown MAC algorithm, a ValueMAC without MACMethod, a bad MAC, an undecryptable MAC key: the whole file is refused, naming the defect", async () => {
      for (const [file, key, pattern] of [
        [
          "invalid/mac-algorithm.pskcxml",
          psk128,
          /unsupported MAC algorithm http:\/\/www\.w3\.org\/2000\/09\/xmldsig#hmac-zha9/,
        ],
        ["invalid/no-mac-method.pskcxml", psk128, /ValueMAC elements but no MACMethod/],
        ["invalid/mac-value.pskcxml", psk128, /key 987654321: Secret: the MAC does not verify/],
        ["encryption/aes128-cbc.pskcxml", "00".repeat(16), /the MAC key cannot be decrypted/],
        ["encryption/mac-over-plaintext.pskcxml", psk128, /the MAC does not verify/],
      ] as const) {
        const { r } = await importing(
          { pskc: asHotp(corpus(file)), preSharedKey: key },
          "pskc vendors: mac refused",
        );
        refused(r, pattern);
      }
    });

    test("an encrypted Counter is decrypted and used: the token validates at its counter", async () => {
      const secret = randomBytes(20);
      const counter = 170_000_000_000_000n;
      const { xml, key } = encryptedHotp(`ENC-${backend}`, secret, counter);
      const { apiKey, r } = await importing(
        { pskc: xml, preSharedKey: key },
        "pskc vendors: encrypted counter",
      );
      assert.equal(r.body.imported, 1, JSON.stringify(r.body));
      await validates(apiKey, `ENC-${backend}`, oathtoolHotp(secret.toString("hex"), Number(counter), 6));
    });

    test("encrypted TimeInterval and TimeDrift are decrypted and used; an encrypted Time other than 0 is refused by name", async () => {
      const secret = randomBytes(20);
      const { xml, key } = encryptedKey(`TD-${backend}`, "totp", {
        Secret: secret,
        // As ASCII digits, the other way vendors encrypt integers.
        TimeInterval: Buffer.from("60"),
        TimeDrift: int64(3n),
        Time: int64(0n),
      });
      const { apiKey, r } = await importing({ pskc: xml, preSharedKey: key }, "pskc vendors: encrypted time");
      assert.equal(r.body.imported, 1, JSON.stringify(r.body));
      const view = await s.api("GET", `/v1/authenticators/TD-${backend}`, {
        apiKey,
        scenario: "pskc vendors: encrypted time",
      });
      assert.equal((view.body.authenticator as { period: number }).period, 60);
      // The device runs three steps ahead: its code validates only because the drift was imported.
      const ahead = s.clock.now() + 3 * 60_000;
      await validates(apiKey, `TD-${backend}`, oathtoolTotp(secret.toString("hex"), ahead, { period: 60 }));
      const late = encryptedKey(`T0-${backend}`, "totp", { Secret: secret, Time: int64(1_000_000n) });
      refused(
        (await importing({ pskc: late.xml, preSharedKey: late.key }, "pskc vendors: encrypted time")).r,
        /T0-[a-z]+: Time other than 0 is not supported/,
      );
    });

    test("a counter past the bound (2^53 and beyond) is refused by name, never stored", async () => {
      for (const counter of [2n ** 53n + 1n, 2n ** 64n - 1n]) {
        const { xml, key } = encryptedHotp(`BIG-${backend}`, randomBytes(20), counter);
        const { r } = await importing({ pskc: xml, preSharedKey: key }, "pskc vendors: counter too large");
        refused(r, new RegExp(`BIG-${backend}: Counter ${counter} is out of range`));
      }
    });

    test("a row with a counter past 2^53 from an earlier import: GET, assign, assign-next, validate and DELETE still answer", async () => {
      const { apiKey, tenant } = await s.tenant();
      const tenantId = tenant.id;
      const serial = `HUGE-${backend}`;
      await insertSealedAuthenticator(
        s.server.ctx,
        {
          tenant_id: tenantId,
          serial,
          type: "hotp",
          algorithm: "SHA1",
          digits: 6,
          period: null,
          position: 2 ** 60,
          seed_revealed: 0,
        },
        randomBytes(20),
        s.clock.now(),
      );
      const call = (method: string, path: string, body?: unknown) =>
        s.api(method, path, { apiKey, body, scenario: "pskc vendors: huge row" });
      await call("POST", "/v1/users", { username: "huge" });
      for (const r of [
        await call("GET", `/v1/authenticators/${serial}`),
        await call("GET", "/v1/authenticators"),
        await call("POST", "/v1/authenticators/assign-next", { username: "huge" }),
        await call("POST", "/v1/auth/otp", { username: "huge", otp: "123456" }),
        await call("DELETE", `/v1/authenticators/${serial}`),
      ])
        assert.ok(r.status < 500, JSON.stringify(r.body));
      assert.equal((await call("GET", `/v1/authenticators/${serial}`)).status, 404);
    });

    test("PBKDF2 (RFC 6030 §6.2): the password imports the file; without it the refusal says a password is needed", async () => {
      const xml = corpus("rfc6030/figure7.pskcxml").replaceAll("987654321", `PB-${backend}`);
      refused(
        (await importing({ pskc: xml }, "pskc vendors: pbkdf2 no password")).r,
        /password \(PBKDF2.*\): a password is needed/,
      );
      refused(
        (await importing({ pskc: xml, password: "wrong" }, "pskc vendors: pbkdf2 wrong")).r,
        /MAC key cannot be decrypted/,
      );
      const { apiKey, r } = await importing({ pskc: xml, password: "qwerty" }, "pskc vendors: pbkdf2");
      assert.equal(r.body.imported, 1, JSON.stringify(r.body));
      await validates(apiKey, `PB-${backend}`, oathtoolHotp(rfcSecretHex, 0, 8));
    });

    test("AES key wrap (RFC 3394) and 3DES key wrap decrypt the secret", async () => {
      for (const [file, key, secret] of [
        ["kw-aes128", "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff"],
        [
          "kw-aes256",
          "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
          "00112233445566778899aabbccddeeff0001020304050607",
        ],
        [
          "kw-tripledes",
          "255e0d1c07b646dfb3134cc843ba8aa71f025b7c0838251f",
          "2923bf85e06dd6ae529149f1f1bae9eab3a7da3d860d3e98",
        ],
      ] as const) {
        const xml = asHotp(corpus(`encryption/${file}.pskcxml`)).replace(
          "<KeyPackage>",
          `<KeyPackage><DeviceInfo><SerialNo>${file}-${backend}</SerialNo></DeviceInfo>`,
        );
        const { apiKey, r } = await importing({ pskc: xml, preSharedKey: key }, "pskc vendors: key wrap");
        assert.equal(r.body.imported, 1, `${file}: ${JSON.stringify(r.body)}`);
        await validates(apiKey, `${file}-${backend}`, oathtoolHotp(secret, 0, 6));
      }
    });

    test("expired keys are refused unless allowExpired; an empty file, a wrong version and a draft layout are refused by name", async () => {
      const figure10 = corpus("rfc6030/figure10.pskcxml").replace(
        /9999999|654321|123456(?!7)/g,
        (m) => `${m}-${backend}`,
      );
      refused((await importing({ pskc: figure10 }, "pskc vendors: expired")).r, /expired on 2006-05-31/);
      const allowed = await importing(
        { pskc: figure10, allowExpired: true },
        "pskc vendors: expired allowed",
      );
      assert.ok(Number(allowed.r.body.imported) >= 2, JSON.stringify(allowed.r.body));
      for (const [pskc, pattern] of [
        [
          '<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>',
          /no KeyPackage: nothing to import/,
        ],
        [corpus("invalid/wrongversion.pskcxml"), /unsupported PSKC version 1\.2/],
        [
          corpus("actividentity/test.pskcxml"),
          /pre-RFC draft layout \(namespace urn:ietf:params:xml:ns:keyprov:container:1\.0\)/,
        ],
        [corpus("draft-ietf-keyprov-pskc-02/figure2.pskcxml"), /pre-RFC draft layout \(Device elements/],
        [corpus("invalid/not-integer.pskcxml"), /nothing imported/],
      ] as const)
        refused((await importing({ pskc }, "pskc vendors: refused by name")).r, pattern);
    });

    test("a key's Policy is honoured: NumberOfTransactions becomes maxUses; an unknown policy element or a PIN the server would check refuses the key", async () => {
      let n = 0;
      const xml = corpus("misc/policy.pskcxml").replace(/<KeyPackage>/g, () => {
        n += 1;
        return `<KeyPackage><DeviceInfo><SerialNo>POL${n}-${backend}</SerialNo></DeviceInfo>`;
      });
      const { apiKey, r } = await importing({ pskc: xml }, "pskc vendors: policy");
      assert.equal(r.body.imported, 1, JSON.stringify(r.body));
      assert.deepEqual(
        (r.body.rejected as { serial: string; reason: string }[]).map((x) => [x.serial, x.reason]),
        [
          [`POL2-${backend}`, "unknown PINPolicy attribute OnWeekDaysOnly"],
          [`POL3-${backend}`, "unknown PINPolicy element Foo"],
          [
            `POL4-${backend}`,
            "unknown Policy element Foo: the key's use may be restricted in a way Tessera cannot honour",
          ],
          [`POL5-${backend}`, "unsupported algorithm urn:ietf:params:xml:ns:keyprov:pskc:pin"],
        ],
      );
      const token = await s.api("GET", `/v1/authenticators/POL1-${backend}`, {
        apiKey,
        scenario: "pskc vendors: policy",
      });
      assert.equal((token.body.authenticator as { maxUses: number }).maxUses, 4321);
      const server = xml
        .replace('PINUsageMode="Local"/>', 'PINUsageMode="Prepend"/>')
        .replaceAll(`-${backend}<`, `-pin-${backend}<`);
      const prepend = await importing({ pskc: server }, "pskc vendors: policy");
      refused(
        prepend.r,
        /POL1-pin-[a-z]+: PINUsageMode Prepend: a PIN checked by the server is not supported/,
      );
    });

    test("a burst of imports of one file stores each serial once", async () => {
      const { apiKey } = await s.tenant();
      const xml = corpus("rfc6030/figure3.pskcxml").replaceAll("987654321", `BURST-${backend}`);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          s.api("POST", "/v1/authenticators/import", {
            apiKey,
            body: { pskc: xml },
            scenario: "pskc vendors: burst",
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 200 && r.body.imported === 1).length, 1);
      for (const r of results.filter((x) => x.status !== 200))
        refused(r, /nothing imported \(BURST-[a-z]+: serial number already exists\)/);
    });

    test("extreme fields are 400 naming the field: a huge password, a non-boolean allowExpired, a PBKDF2 iteration count past the bound", async () => {
      const figure7 = corpus("rfc6030/figure7.pskcxml");
      for (const [body, field] of [
        [{ pskc: figure7, password: "x".repeat(1025) }, "body.password"],
        [{ pskc: figure7, password: "" }, "body.password"],
        [{ pskc: figure7, allowExpired: "sometimes" }, "body.allowExpired"],
      ] as const) {
        const { r } = await importing(body, "pskc vendors: extremes");
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.field, field, JSON.stringify(r.body));
      }
      const slow = figure7.replace(
        "<IterationCount>1000</IterationCount>",
        "<IterationCount>2000000000</IterationCount>",
      );
      refused(
        (await importing({ pskc: slow, password: "qwerty" }, "pskc vendors: extremes")).r,
        /IterationCount is not a whole number from 1 to 1000000/,
      );
      const huge = figure7.replace(
        "<IterationCount>1000</IterationCount>",
        "<IterationCount>1e300</IterationCount>",
      );
      refused(
        (await importing({ pskc: huge, password: "qwerty" }, "pskc vendors: extremes")).r,
        /IterationCount/,
      );
    });

    test("a signed file is imported and its signature reported as not verified", async () => {
      const xml = corpus("rfc6030/figure9.pskcxml").replaceAll("0755225266", `SIG-${backend}`);
      const { r } = await importing({ pskc: xml }, "pskc vendors: signed");
      assert.equal(r.body.signature, "not verified");
    });

    test("tessera token import --password reads the password from standard input, never argv", async () => {
      await s.tenant(`pskc-pw-${backend}`);
      const { dataDir, databaseUrl } = s.server.ctx.config;
      const file = join(dataDir, "pbkdf2.pskc");
      writeFileSync(file, corpus("rfc6030/figure7.pskcxml").replaceAll("987654321", `CLIPB-${backend}`));
      const r = await runCli(
        [
          "--data-dir",
          dataDir,
          ...(databaseUrl ? ["--database-url", databaseUrl] : []),
          "token",
          "import",
          "--tenant",
          `pskc-pw-${backend}`,
          file,
          "--password",
          "--json",
        ],
        { env: { TESSERA_LOG_LEVEL: "silent" }, input: "qwerty\n", scenario: "pskc vendors: cli password" },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).imported, 1);
    });
  });
}
