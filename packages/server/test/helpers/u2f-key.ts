import { generateKeyPairSync, randomBytes } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type { SoftCredential } from "./soft-authenticator.ts";

/**
 * A legacy U2F registration as a previous U2F server would have stored it (key handle, public key
 * as an uncompressed P-256 point), with its private key as a SoftCredential, so that the software
 * authenticator can sign with it under the AppID (`get(..., { credential, appId })`).
 */
export interface U2fKey {
  readonly keyHandle: string;
  readonly publicKey: string;
  readonly credential: SoftCredential;
}

export function u2fKey(appId: string, handleBytes = 64): U2fKey {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = pair.publicKey.export({ format: "jwk" });
  const x = Buffer.from(jwk.x ?? "", "base64url");
  const y = Buffer.from(jwk.y ?? "", "base64url");
  const id = randomBytes(handleBytes);
  const cose = isoCBOR.encode(
    new Map<number, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, x],
      [-3, y],
    ]) as never,
  );
  return {
    keyHandle: id.toString("base64url"),
    publicKey: Buffer.concat([Buffer.from([4]), x, y]).toString("base64url"),
    credential: {
      id,
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      cose,
      userHandle: undefined,
      rpId: appId,
      counter: 0,
    },
  };
}
