import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { oathtoolHotp, oathtoolTotp } from "./helpers/oathtool.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * python-pskc's test files (tests/ of arthurdejong/python-pskc, LGPL-2.1: LICENSE.python-pskc),
 * each imported through the API with the key or password its doctest uses. For each: refused
 * whole (4xx naming the defect) or which keys are imported and why the others are not; where the
 * doctest gives the secret, a code oathtool computes from it validates.
 */
const root = new URL("./fixtures/pskc/python-pskc/", import.meta.url);
const psk = "12345678901234567890123456789012";
const rfc = Buffer.from("12345678901234567890").toString("hex");
const draft = /pre-RFC draft layout/;
const noAlgorithm = { "KeyPackage 1": /unsupported algorithm \(none given\)/ };

interface Expected {
  readonly key?: string;
  readonly password?: string;
  /** The whole file is refused with this message. */
  readonly refused?: RegExp;
  /** Imported serials and, where the doctest gives it, the secret (hex) to check a code with. */
  readonly imported?: Record<string, string | null>;
  readonly rejected?: Record<string, RegExp>;
}

const expected: Record<string, Expected> = {
  "actividentity/test.pskcxml": { key: "fe0de6b806c09b762c4b49a666a27b72", refused: draft },
  "draft-hoyer-keyprov-portable-symmetric-key-container-00/non-encrypted.pskcxml": { refused: draft },
  "draft-hoyer-keyprov-portable-symmetric-key-container-00/password-encrypted.pskcxml": {
    password: "qwerty",
    refused: draft,
  },
  "draft-hoyer-keyprov-portable-symmetric-key-container-01/non-encrypted.pskcxml": { refused: draft },
  "draft-hoyer-keyprov-portable-symmetric-key-container-01/password-encrypted.pskcxml": {
    password: "qwerty",
    refused: draft,
  },
  "draft-hoyer-keyprov-pskc-algorithm-profiles-01/actividentity-3des.pskcxml": { refused: draft },
  "draft-hoyer-keyprov-pskc-algorithm-profiles-01/ocra.pskcxml": { refused: draft },
  "draft-hoyer-keyprov-pskc-algorithm-profiles-01/securid-aes-counter.pskcxml": { refused: draft },
  "draft-hoyer-keyprov-pskc-algorithm-profiles-01/totp.pskcxml": { refused: draft },
  "draft-ietf-keyprov-pskc-02/figure2.pskcxml": { refused: draft },
  "draft-ietf-keyprov-pskc-02/figure3.pskcxml": { refused: draft },
  "draft-ietf-keyprov-pskc-02/figure4.pskcxml": { key: psk, refused: draft },
  "draft-ietf-keyprov-pskc-02/figure5.pskcxml": { password: "qwerty", refused: draft },
  "draft-ietf-keyprov-pskc-02/figure6.pskcxml": { refused: draft },
  "draft-ietf-keyprov-pskc-02/figure7.pskcxml": { refused: /unsupported PSKC version 1$/ },
  "draft-ietf-keyprov-pskc-02/figure8.pskcxml": { refused: /unsupported PSKC version 1$/ },
  "draft-ietf-keyprov-pskc-02/figure9.pskcxml": { refused: /unsupported PSKC version 1$/ },
  "encryption/aes128-cbc-noiv.pskcxml": { key: psk, refused: /Secret: the MAC does not verify/ },
  "encryption/aes128-cbc.pskcxml": { key: psk, rejected: noAlgorithm },
  "encryption/aes192-cbc.pskcxml": {
    key: "123456789012345678901234567890123456789012345678",
    rejected: noAlgorithm,
  },
  "encryption/aes256-cbc.pskcxml": {
    key: "1234567890123456789012345678901234567890123456789012345678901234",
    rejected: noAlgorithm,
  },
  "encryption/camellia128-cbc.pskcxml": {
    key: "200497e673a6fae2256e9749468a67ac",
    refused: /Secret: the MAC does not verify/,
  },
  "encryption/camellia192-cbc.pskcxml": {
    key: "e263279877384c84c987661a9d06766affdb9b3211eae801",
    refused: /Secret: the MAC does not verify/,
  },
  "encryption/camellia256-cbc.pskcxml": {
    key: "33b37e31c5a0a16f004e7fe727d4ff808fc1f879d85ccd8f06dbb5799565d2f5",
    refused: /Secret: the MAC does not verify/,
  },
  "encryption/kw-aes128.pskcxml": { key: "000102030405060708090a0b0c0d0e0f", rejected: noAlgorithm },
  "encryption/kw-aes192.pskcxml": {
    key: "000102030405060708090a0b0c0d0e0f1011121314151617",
    rejected: noAlgorithm,
  },
  "encryption/kw-aes256.pskcxml": {
    key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    rejected: noAlgorithm,
  },
  "encryption/kw-camellia128.pskcxml": {
    key: "e35b135a09bfff8b314a5a0c32193c37",
    refused: /unsupported encryption algorithm http:\/\/www\.w3\.org\/2001\/04\/xmlenc#kw-camellia128/,
  },
  "encryption/kw-camellia192.pskcxml": {
    key: "5eb0bccad29abe52d143d5aebc1c1ba174b8d379ce763c28",
    refused: /unsupported encryption algorithm .*kw-camellia192/,
  },
  "encryption/kw-camellia256.pskcxml": {
    key: "0e187c656c36975b0d6bded79d7089142209457114ce8e6f4ae78339d71114e8",
    refused: /unsupported encryption algorithm .*kw-camellia256/,
  },
  "encryption/kw-tripledes.pskcxml": {
    key: "255e0d1c07b646dfb3134cc843ba8aa71f025b7c0838251f",
    rejected: noAlgorithm,
  },
  "encryption/mac-over-plaintext.pskcxml": { key: psk, refused: /Secret: the MAC does not verify/ },
  "encryption/no-mac-key.pskcxml": { key: psk, rejected: noAlgorithm },
  "encryption/tripledes-cbc.pskcxml": { key: psk, rejected: noAlgorithm },
  "feitian/20120919-test001-4282.xml": {
    rejected: { "2600215704919": /expired on 2022-09-01/, "1000117803294": /expired on 2022-09-01/ },
  },
  "feitian/file1.pskcxml": {
    imported: {
      "1000133508267": null,
      "1000133508255": null,
      "2600124809778": null,
      "2600124809787": null,
      "2600135004012": null,
      "2600135004013": null,
    },
  },
  "invalid/incomplete-derivation.pskcxml": { password: "qwerty", refused: /PBKDF2 without a salt/ },
  "invalid/mac-algorithm.pskcxml": {
    key: psk,
    refused: /unsupported MAC algorithm http:\/\/www\.w3\.org\/2000\/09\/xmldsig#hmac-zha9/,
  },
  "invalid/mac-value.pskcxml": { key: psk, refused: /key 987654321: Secret: the MAC does not verify/ },
  "invalid/missing-encryption-method.pskcxml": {
    key: psk,
    refused: /MAC key cannot be decrypted: no EncryptionMethod algorithm/,
  },
  "invalid/missing-encryption.pskcxml": {
    key: psk,
    refused: /key 45678901: Secret: no EncryptionMethod algorithm/,
  },
  "invalid/no-mac-method.pskcxml": { key: psk, refused: /ValueMAC elements but no MACMethod/ },
  "invalid/not-boolean.pskcxml": {
    rejected: { "KeyPackage 1": /ResponseFormat CheckDigits "not really" is not a boolean/ },
  },
  "invalid/not-integer.pskcxml": {
    rejected: { "KeyPackage 1": /NumberOfTransactions "TWELVE" is not a whole number/ },
  },
  "invalid/not-integer2.pskcxml": {
    rejected: { "KeyPackage 1": /PINPolicy MinLength "FOUR" is not a whole number/ },
  },
  "invalid/notxml.pskcxml": { refused: /not well-formed XML/ },
  "invalid/unknown-encryption.pskcxml": {
    key: psk,
    refused:
      /key 12345678: Secret: unsupported encryption algorithm http:\/\/www\.w3\.org\/2001\/04\/xmlenc#unknown/,
  },
  "invalid/wrongelement.pskcxml": { refused: /no KeyContainer element/ },
  "invalid/wrongversion.pskcxml": { refused: /unsupported PSKC version 1\.2/ },
  "misc/SampleFullyQualifiedNS.xml": {
    password: "3FCA3158035072D6",
    rejected: { XXXX0000001F: /TimeInterval 172800 is out of range/ },
  },
  "misc/checkdigits.pskcxml": {
    rejected: {
      "KeyPackage 2": /Luhn check digit are not supported/,
      "KeyPackage 4": /Encoding ALPHANUMERIC/,
    },
  },
  "misc/integers.pskcxml": { key: psk, refused: /Counter: encrypted in CBC mode without a MAC/ },
  "misc/odd-namespace.pskcxml": { rejected: { "12345678": /secret shorter than 128 bits/ } },
  "misc/partialxml.pskcxml": {
    rejected: {
      "KeyPackage 1": /no Key element/,
      "KeyPackage 4": /Counter has neither PlainValue nor EncryptedValue/,
    },
  },
  "misc/policy.pskcxml": {
    rejected: {
      "KeyPackage 1": /no serial number/,
      "KeyPackage 2": /unknown PINPolicy attribute OnWeekDaysOnly/,
      "KeyPackage 3": /unknown PINPolicy element Foo/,
      "KeyPackage 4": /unknown Policy element Foo/,
    },
  },
  "multiotp/pskc-hotp-aes.txt": { key: psk, imported: { ZZ0000000000: rfc, ZZ0100000000: null } },
  "multiotp/pskc-hotp-pbe.txt": {
    password: "qwerty",
    imported: { ZZ0000000002: "3031323334353637383930313233343536373839" },
  },
  "multiotp/pskc-totp-aes.txt": {
    key: psk,
    imported: { ZZ1000000000: rfc, ZZ1100000000: null, ZZ1000000001: null, ZZ1100000001: null },
  },
  "multiotp/pskc-totp-pbe.txt": {
    password: "qwerty",
    imported: { ZZ1000000002: "3031323334353637383930313233343536373839" },
  },
  "multiotp/tokens_hotp_aes.pskc": {
    key: psk,
    rejected: {
      ZZ7000000001: /Counter 16887061004979670 is out of range/,
      ZZ7000000002: /Counter 33134002894009587 is out of range/,
    },
  },
  "multiotp/tokens_hotp_pbe.pskc": {
    password: "qwerty",
    rejected: { ZZ7000000000: /Counter 3175185617134465 is out of range/ },
  },
  "multiotp/tokens_ocra_aes.pskc": { key: psk, rejected: { ZZ9000000001: /unsupported algorithm .*:ocra/ } },
  "multiotp/tokens_ocra_pbe.pskc": {
    password: "qwerty",
    rejected: { ZZ9000000000: /unsupported algorithm .*:ocra/ },
  },
  "multiotp/tokens_totp_aes.pskc": {
    key: psk,
    imported: {
      ZZ8000000001: "38c2506a8e0708a5e929c2686b827e0ba7ae28c9de3c83e6d27308345981a3de",
      ZZ8000000002: null,
    },
  },
  "multiotp/tokens_totp_pbe.pskc": {
    password: "qwerty",
    imported: { ZZ8000000000: "2c8792d34a3a8711b7cfc4304bcc84e3e67815a6" },
  },
  "nagraid/file1.pskcxml": {
    key: "4A057F6AB6FCB57AB5408E46A9835E68",
    rejected: { "306EUO4-00960": /unsupported algorithm .*:ocra/ },
  },
  "rfc6030/figure10.pskcxml": {
    rejected: {
      "654321": /expired on 2006-05-31/,
      "123456": /expired on 2006-05-31/,
      "9999999": /expired on 2006-0[34]/,
    },
  },
  "rfc6030/figure2.pskcxml": { rejected: { "12345678": /secret shorter than 128 bits/ } },
  "rfc6030/figure3.pskcxml": { imported: { "987654321": rfc } },
  "rfc6030/figure4.pskcxml": { rejected: { "987654321": /no Secret \(a key given by reference/ } },
  "rfc6030/figure5.pskcxml": { imported: { "987654321": rfc }, rejected: { "987654321": /:pin/ } },
  "rfc6030/figure6.pskcxml": { key: psk, imported: { "987654321": rfc } },
  "rfc6030/figure7.pskcxml": { password: "qwerty", imported: { "987654321": rfc } },
  "rfc6030/figure8.pskcxml": { refused: /encrypted with a certificate's public key/ },
  "rfc6030/figure9.pskcxml": { imported: { "0755225266": rfc } },
  "yubico/example1.pskcxml": {
    rejected: { "283599": /unsupported algorithm http:\/\/www\.yubico\.com\/#yubikey-aes/ },
  },
  "yubico/example2.pskcxml": { rejected: { "283598": /unsupported algorithm .*yubikey-aes/ } },
  "yubico/example3.pskcxml": { rejected: { "283597": /unsupported algorithm .*yubikey-aes/ } },
};

const files = readdirSync(root)
  .filter((dir) => dir !== "certificate" && statSync(new URL(dir, root)).isDirectory())
  .flatMap((dir) => readdirSync(new URL(`${dir}/`, root)).map((file) => `${dir}/${file}`))
  .sort();

test("every file of the corpus has an expectation", () => {
  assert.deepEqual(files, Object.keys(expected).sort());
});

for (const backend of backends) {
  suite(`python-pskc corpus (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    for (const [index, file] of files.entries()) {
      const expect = expected[file] as Expected;
      test(file, async () => {
        // Serials are unique across tenants: prefix them (the MAC covers values, not serials).
        const prefix = `c${index}-`;
        const xml = readFileSync(new URL(file, root), "utf8")
          .replace(/(<(?:[\w.-]+:)?SerialNo>)\s*/g, `$1${prefix}`)
          .replace(/(<(?:[\w.-]+:)?Key\b[^>]*?\sId=")/g, `$1${prefix}`);
        const { apiKey } = await s.tenant();
        const body = {
          pskc: xml,
          ...(expect.key === undefined ? {} : { preSharedKey: expect.key }),
          ...(expect.password === undefined ? {} : { password: expect.password }),
        };
        const r = await s.api("POST", "/v1/authenticators/import", { apiKey, body, scenario: "pskc corpus" });
        const unprefixed = (serial: string) => serial.replace(prefix, "");
        const imported = Object.keys(expect.imported ?? {});
        if (expect.refused !== undefined || imported.length === 0) {
          assert.equal(r.status, 400, JSON.stringify(r.body));
          assert.equal(r.body.errorCode, ApiReturnCode.InvalidDeviceConfig);
          const message = unprefixed(String(r.body.errorMessage).replaceAll(prefix, ""));
          if (expect.refused !== undefined) assert.match(message, expect.refused);
          else assert.match(message, /nothing imported|no KeyPackage/);
          for (const [serial, reason] of Object.entries(expect.rejected ?? {}))
            assert.match(message, new RegExp(`${serial}: .*${reason.source}`));
          return;
        }
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const rejected = r.body.rejected as { serial: string; reason: string }[];
        assert.equal(r.body.imported, imported.length, JSON.stringify(r.body));
        for (const [serial, reason] of Object.entries(expect.rejected ?? {}))
          assert.ok(
            rejected.some((x) => unprefixed(x.serial) === serial && reason.test(x.reason)),
            JSON.stringify(rejected),
          );
        for (const [serial, secret] of Object.entries(expect.imported ?? {})) {
          if (secret === null) continue;
          const view = await s.api("GET", `/v1/authenticators/${prefix}${serial}`, {
            apiKey,
            scenario: "pskc corpus",
          });
          const token = view.body.authenticator as {
            type: string;
            digits: number;
            algorithm: string;
            period: number | null;
          };
          await s.api("POST", "/v1/users", {
            apiKey,
            body: { username: `u${serial}` },
            scenario: "pskc corpus",
          });
          await s.api("POST", `/v1/authenticators/${prefix}${serial}/assign`, {
            apiKey,
            body: { username: `u${serial}` },
            scenario: "pskc corpus",
          });
          const otp =
            token.type === "hotp"
              ? oathtoolHotp(secret, 0, token.digits)
              : oathtoolTotp(secret, s.clock.now(), {
                  digits: token.digits,
                  algorithm: token.algorithm as "SHA1",
                  period: token.period ?? 30,
                });
          const check = await s.api("POST", "/v1/auth/otp", {
            apiKey,
            body: { username: `u${serial}`, otp },
            scenario: "pskc corpus",
          });
          assert.equal(check.body.errorCode, 0, `${serial}: ${JSON.stringify(check.body)}`);
        }
      });
    }
  });
}
