import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import fc from "fast-check";
import { decodeBase32, encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { type OathAlgorithm, oathCode, timeStep } from "../src/authenticators/oath/oath-code.ts";

test("RFC 4226 Appendix D: HOTP values for counters 0–9", () => {
  const secret = Buffer.from("12345678901234567890");
  const expected = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
  ];
  assert.deepEqual(
    expected.map((_, counter) => oathCode(secret, counter, "SHA1", 6)),
    expected,
  );
});

test("RFC 6238 Appendix B: TOTP values for SHA-1, SHA-256 and SHA-512", () => {
  const seeds: Record<OathAlgorithm, Buffer> = {
    SHA1: Buffer.from("12345678901234567890"),
    SHA256: Buffer.from("12345678901234567890123456789012"),
    SHA512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234"),
  };
  const table: [number, string, string, string][] = [
    [59, "94287082", "46119246", "90693936"],
    [1111111109, "07081804", "68084774", "25091201"],
    [1111111111, "14050471", "67062674", "99943326"],
    [1234567890, "89005924", "91819424", "93441116"],
    [2000000000, "69279037", "90698825", "38618901"],
    [20000000000, "65353130", "77737706", "47863826"],
  ];
  for (const [seconds, sha1, sha256, sha512] of table) {
    const step = timeStep(seconds * 1000, 30);
    assert.equal(oathCode(seeds.SHA1, step, "SHA1", 8), sha1, `SHA1 at ${seconds}`);
    assert.equal(oathCode(seeds.SHA256, step, "SHA256", 8), sha256, `SHA256 at ${seconds}`);
    assert.equal(oathCode(seeds.SHA512, step, "SHA512", 8), sha512, `SHA512 at ${seconds}`);
  }
});

test("base32 round trips any bytes and refuses what is not base32", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) =>
      assert.deepEqual(decodeBase32(encodeBase32(bytes)), Buffer.from(bytes)),
    ),
  );
  assert.deepEqual(decodeBase32("GEZDGNBV GY3TQOJQ"), Buffer.from("1234567890"));
  for (const bad of ["", "1", "ABC!", "A0"]) assert.equal(decodeBase32(bad), undefined, bad);
});

/** oathtool computes HOTP with SHA-1 only; its TOTP covers all three hashes. */
test("oathtool agrees: HOTP (SHA-1) and TOTP (SHA-1, SHA-256, SHA-512), 6 and 8 digits, 30 and 60 s", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 64 }),
      fc.constantFrom<OathAlgorithm>("SHA1", "SHA256", "SHA512"),
      fc.constantFrom(6, 8),
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.constantFrom(30, 60),
      (bytes, algorithm, digits, moving, period) => {
        const secret = Buffer.from(bytes);
        const hex = secret.toString("hex");
        const hotp = execFileSync("oathtool", ["--hotp", `--digits=${digits}`, `--counter=${moving}`, hex], {
          encoding: "utf8",
        }).trim();
        assert.equal(oathCode(secret, moving, "SHA1", digits), hotp);
        const seconds = moving;
        const totp = execFileSync(
          "oathtool",
          [
            `--totp=${algorithm}`,
            `--digits=${digits}`,
            `--time-step-size=${period}s`,
            `--now=@${seconds}`,
            hex,
          ],
          { encoding: "utf8" },
        ).trim();
        assert.equal(oathCode(secret, timeStep(seconds * 1000, period), algorithm, digits), totp);
      },
    ),
    { numRuns: 60 },
  );
});
