import { createPublicKey, type JsonWebKey } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import { invalidPublicKey } from "./webauthn-errors.ts";

/**
 * The COSE algorithms a key may use (offered in the registration options, in this order of
 * preference): EdDSA (Ed25519), ES256 (P-256) and RS256 (RSA PKCS#1 v1.5 with SHA-256, for older
 * Windows Hello keys). The name is what the authenticators row keeps as its `algorithm`.
 */
export const supportedAlgorithms: ReadonlyMap<number, string> = new Map([
  [-8, "EdDSA"],
  [-7, "ES256"],
  [-257, "RS256"],
]);
export const supportedAlgorithmIds = [...supportedAlgorithms.keys()];

const bytes = (value: unknown, length?: number): Buffer | undefined =>
  value instanceof Uint8Array && (length === undefined || value.length === length)
    ? Buffer.from(value)
    : undefined;

/** The JWK equivalent of a COSE key of a supported algorithm, or a reason it is not one. */
function jwkOf(key: Map<number, unknown>): JsonWebKey | string {
  const kty = key.get(1);
  const alg = key.get(3);
  if (alg === -7) {
    const [x, y] = [bytes(key.get(-2), 32), bytes(key.get(-3), 32)];
    if (kty !== 2 || key.get(-1) !== 1 || x === undefined || y === undefined)
      return "an ES256 key must be EC2 on P-256 with 32-byte x and y";
    return { kty: "EC", crv: "P-256", x: x.toString("base64url"), y: y.toString("base64url") };
  }
  if (alg === -8) {
    const x = bytes(key.get(-2), 32);
    if (kty !== 1 || key.get(-1) !== 6 || x === undefined)
      return "an EdDSA key must be OKP on Ed25519 with a 32-byte x";
    return { kty: "OKP", crv: "Ed25519", x: x.toString("base64url") };
  }
  if (alg === -257) {
    const [n, e] = [bytes(key.get(-1)), bytes(key.get(-2))];
    // 2048 bits at least: smaller RSA keys are factorable within reach of an attacker.
    if (kty !== 3 || n === undefined || e === undefined || n.length < 256 || n.length > 1024 || e.length > 8)
      return "an RS256 key must be RSA with a modulus of 2048 to 8192 bits";
    return { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") };
  }
  return `algorithm ${String(alg)} is not one of ${[...supportedAlgorithms.values()].join(", ")}`;
}

/**
 * Checks that the credential's COSE public key is a well-formed key of a supported algorithm (a
 * P-256 point on the curve, an Ed25519 key, a big enough RSA key) and returns the algorithm's
 * name. The library checks only the algorithm number at registration; a key that cannot verify
 * anything must be refused now (InvalidPubKey), not fail every sign-in later.
 */
export function checkCosePublicKey(cose: Uint8Array): string {
  let decoded: unknown;
  try {
    decoded = isoCBOR.decodeFirst(new Uint8Array(cose));
  } catch {
    throw invalidPublicKey("it is not CBOR");
  }
  if (!(decoded instanceof Map)) throw invalidPublicKey("it is not a COSE_Key map");
  const jwk = jwkOf(decoded as Map<number, unknown>);
  if (typeof jwk === "string") throw invalidPublicKey(jwk);
  try {
    createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    throw invalidPublicKey("it is not a valid key (a point not on the curve, say)");
  }
  return supportedAlgorithms.get(decoded.get(3) as number) as string;
}
