import assert from "node:assert/strict";
import { test } from "node:test";
import type { SessionData } from "../src/session/session-data.ts";
import { signedInData } from "../src/signin/signed-in-data.ts";
import type { TokenAnswer } from "../src/tokens/save-tokens.ts";

/**
 * What signIn answers about the refresh token's expiry must be what the store kept (save-tokens.ts
 * drops a refresh_token_expires_in that is no usable time), not the server's raw number: a negative
 * one gave a refresh token "expired" before it was used, a huge one an Invalid Date.
 */
const now = Date.now();
const saved: SessionData = {
  version: 1,
  issuer: "http://127.0.0.1:1/oidc/tenant-1",
  clientId: "notes-app",
  generation: 1,
  tokens: { accessToken: "at", accessTokenExpiresAt: now + 300_000, refreshToken: "rt", obtainedAt: now },
};
const answer = (refreshSeconds: number) =>
  ({
    access_token: "at",
    token_type: "bearer",
    refresh_token: "rt",
    refresh_token_expires_in: refreshSeconds,
    claims: () => ({
      sub: "user-a",
      iss: saved.issuer,
      aud: "notes-app",
      iat: now / 1000,
      exp: now / 1000 + 300,
    }),
    expiresIn: () => 300,
  }) as unknown as TokenAnswer;

for (const refreshSeconds of [-3600, 1e300, 2 ** 53])
  test(`signIn's answer for refresh_token_expires_in ${refreshSeconds} is the store's (none), not a bogus date`, () => {
    const data = signedInData(saved, answer(refreshSeconds));
    assert.equal(data.refreshTokenExpiresAt, undefined, String(data.refreshTokenExpiresAt));
  });

test("signIn's answer carries the refresh token's expiry the store kept", () => {
  const kept = {
    ...saved,
    tokens: {
      ...(saved.tokens as NonNullable<SessionData["tokens"]>),
      refreshTokenExpiresAt: now + 86_400_000,
    },
  };
  const data = signedInData(kept, answer(86_400));
  assert.equal(data.refreshTokenExpiresAt?.getTime(), now + 86_400_000);
});
