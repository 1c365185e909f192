import type { OathParameters } from "../authenticator-type.ts";
import { encodeBase32 } from "./base32.ts";

/** The Key Uri Format authenticator apps read from a QR code. */
export function otpauthUri(
  kind: "totp" | "hotp",
  secret: Buffer,
  p: OathParameters,
  issuer: string,
  account: string,
  counter?: number,
): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: encodeBase32(secret),
    issuer,
    algorithm: p.algorithm,
    digits: String(p.digits),
  });
  if (kind === "totp") query.set("period", String(p.period ?? 30));
  else query.set("counter", String(counter ?? 0));
  return `otpauth://${kind}/${label}?${query.toString()}`;
}
