import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { CLOCK_TOLERANCE_MS, graceFromIdToken } from "../src/offline/grace-from-id-token.ts";
import { issuerKeys } from "./helpers/offline-fixture.ts";

const issuer = "https://id.example.test/oidc/tenant-1";
const expected = { issuer, clientId: "notes-app" };
const iat = Math.floor(Date.now() / 1000) - 86_400 * 2;
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer,
  aud: "notes-app",
  sub: "user-1",
  iat,
  exp: iat + 3600,
  tessera_offline_until: iat + 72 * 3600,
  ...extra,
});
const later = (iat + 10) * 1000;

test("an ID token signed by the issuer (ES256 or RS256) gives the signed grace, even long after it expired", async () => {
  for (const alg of ["ES256", "RS256"] as const) {
    const keys = await issuerKeys(alg);
    assert.deepEqual(await graceFromIdToken(await keys.sign(claims()), keys.jwks, later, expected), {
      start: iat * 1000,
      end: (iat + 72 * 3600) * 1000,
    });
    const expiredLongAgo = await keys.sign(claims());
    assert.ok(await graceFromIdToken(expiredLongAgo, keys.jwks, Date.now() + 86_400_000 * 365, expected));
  }
});

test("a token that does not verify, or carries no usable grace, gives none (and never throws)", async () => {
  const keys = await issuerKeys("ES256");
  const other = await issuerKeys("ES256"); // same kid, another private key: a forged signature
  const header = (alg: string) =>
    Buffer.from(JSON.stringify({ alg, kid: "es256-test" })).toString("base64url");
  const body = Buffer.from(JSON.stringify(claims({ tessera_offline_until: iat + 1e6 }))).toString(
    "base64url",
  );
  const hmac = await new SignJWT(claims())
    .setProtectedHeader({ alg: "HS256", kid: "es256-test" })
    .sign(new TextEncoder().encode("a secret the attacker knows"));
  const refused: [string, Promise<string> | string, unknown?][] = [
    ["another key", other.sign(claims())],
    ["alg none", `${header("none")}.${body}.`],
    ["HS256", hmac],
    ["another issuer", keys.sign(claims({ iss: "https://evil.example.test/oidc/tenant-1" }))],
    ["another audience", keys.sign(claims({ aud: "other-app" }))],
    ["no grace claim (offlineGraceHours 0)", keys.sign(claims({ tessera_offline_until: undefined }))],
    ["grace as a string", keys.sign(claims({ tessera_offline_until: String(iat + 3600) }))],
    ["grace before iat", keys.sign(claims({ tessera_offline_until: iat - 1 }))],
    ["negative grace", keys.sign(claims({ tessera_offline_until: -(2 ** 53) }))],
    ["no iat", keys.sign(claims({ iat: undefined }))],
    ["iat a string", keys.sign(claims({ iat: String(iat) }))],
    ["a JWT access token", keys.sign(claims(), { typ: "at+jwt" })],
    ["garbage", "not.a.jwt"],
    ["empty", ""],
    ["huge", "a".repeat(1_000_000)],
    ["malformed JWKS", keys.sign(claims()), { keys: [{ kty: "EC" }] }],
    ["no JWKS", keys.sign(claims()), null],
  ];
  for (const [name, token, jwks] of refused) {
    const set = jwks === null ? undefined : ((jwks ?? keys.jwks) as typeof keys.jwks);
    assert.equal(await graceFromIdToken(await token, set, later, expected), undefined, name);
  }
});

test("a token issued later than the local clock (beyond the tolerance) gives no grace: the clock is behind", async () => {
  const keys = await issuerKeys("RS256");
  const token = await keys.sign(claims());
  assert.equal(
    await graceFromIdToken(token, keys.jwks, iat * 1000 - CLOCK_TOLERANCE_MS - 1000, expected),
    undefined,
  );
  assert.ok(await graceFromIdToken(token, keys.jwks, iat * 1000 - CLOCK_TOLERANCE_MS + 1000, expected));
});
