import assert from "node:assert/strict";
import { describe as suite, test } from "node:test";
import { decodeJwt } from "jose";
import { IdentityStatusCode } from "../src/index.ts";
import { sessionWithTokens, type TokenAnswer } from "../src/tokens/save-tokens.ts";
import {
  cacheDiscovery,
  expireAccessToken,
  newStoreDir,
  observe,
  programClient,
  programContext,
  signInInto,
  stored,
  tokensFixtureForSuite,
} from "./helpers/tokens-fixture.ts";

const HOUR = 3_600_000;

suite("tokens: saving a token answer", () => {
  const fx = tokensFixtureForSuite();

  test("a sign-in saves the tokens with their expiries, the signed grace period, the server time and the profile; a refresh keeps the generation", async () => {
    const storeDir = await newStoreDir();
    const ctx = await programContext(fx, storeDir);
    await cacheDiscovery(ctx);
    const before = Date.now();
    const signedIn = await signInInto(fx, ctx);
    const { tokens } = signedIn;
    assert.ok(tokens?.idToken !== undefined && tokens.refreshToken !== undefined);
    const claims = decodeJwt(tokens.idToken);
    assert.equal(signedIn.generation, 1);
    assert.equal(signedIn.profile?.subject, fx.user.id);
    assert.equal(tokens.idTokenExpiresAt, (claims.exp ?? 0) * 1000);
    const authTime = typeof claims.auth_time === "number" ? claims.auth_time * 1000 : undefined;
    assert.equal(tokens.authTime, authTime, "auth_time, when the ID token carries it");
    assert.ok(tokens.accessTokenExpiresAt > before && tokens.accessTokenExpiresAt <= Date.now() + 600_000);
    const refreshEnd = tokens.refreshTokenExpiresAt ?? 0;
    assert.ok(
      refreshEnd > Date.now() && refreshEnd <= Date.now() + 14 * 24 * HOUR,
      "refresh_token_expires_in",
    );
    assert.equal(signedIn.lastServerTime, (claims.iat ?? 0) * 1000, "the token's iat is the server time");
    assert.deepEqual(signedIn.grace, {
      start: (claims.iat ?? 0) * 1000,
      end: (claims.iat ?? 0) * 1000 + 72 * HOUR,
    });

    await ctx.store?.update(async (current) => ({
      next:
        current === undefined
          ? null
          : { ...current, clientTokens: { other: { accessToken: "x", expiresAt: 1 } } },
      value: undefined,
    }));
    await expireAccessToken(ctx);
    const client = await programClient(fx, storeDir);
    observe(await client.getAccessToken(), "tokens: a refresh saved");
    const refreshed = await stored(ctx);
    assert.equal(refreshed?.generation, 1, "a refresh is no new sign-in");
    assert.notEqual(refreshed?.tokens?.refreshToken, tokens.refreshToken, "the rotated refresh token");
    assert.deepEqual(refreshed?.profile, signedIn.profile);
    assert.ok(refreshed?.clientTokens?.other !== undefined, "a refresh keeps other client ids' tokens");
    assert.ok((refreshed?.grace?.start ?? 0) >= (signedIn.grace?.start ?? 0));

    const again = await signInInto(fx, ctx);
    assert.equal(again.generation, 2, "a new sign-in is a new generation");
    assert.equal(again.clientTokens, undefined, "a sign-in drops the tokens of the sign-in before");
    client.close();
  });

  test("an answer without a refresh token keeps the old one; the latest server time never goes back", async () => {
    const ctx = { ...(await programContext(fx, await newStoreDir())), now: () => 1_000_000 };
    const answer = (fields: Record<string, unknown>) =>
      ({
        access_token: "a",
        token_type: "bearer",
        expiresIn: () => 60,
        claims: () => undefined,
        ...fields,
      }) as never as TokenAnswer;
    const first = await sessionWithTokens(
      ctx,
      undefined,
      answer({ refresh_token: "r1", refresh_token_expires_in: 3600, scope: "openid offline_access" }),
      {
        signIn: true,
        serverDate: 5_000_000,
      },
    );
    assert.equal(first.tokens?.refreshTokenExpiresAt, 1_000_000 + 3_600_000);
    assert.equal(first.tokens?.accessTokenExpiresAt, 1_000_000 + 60_000);
    assert.equal(first.lastServerTime, 5_000_000);
    const second = await sessionWithTokens(ctx, first, answer({ access_token: "b" }), {
      signIn: false,
      serverDate: 4_000_000,
    });
    assert.equal(second.tokens?.accessToken, "b");
    assert.equal(second.tokens?.refreshToken, "r1");
    assert.equal(second.tokens?.refreshTokenExpiresAt, first.tokens?.refreshTokenExpiresAt);
    assert.equal(second.lastServerTime, 5_000_000, "an earlier Date header does not lower it");
    assert.equal(second.generation, first.generation);
    assert.equal(second.tokens?.scope, "openid offline_access", "the scopes granted before");
    const absurd = await sessionWithTokens(
      ctx,
      first,
      answer({ refresh_token: "r2", refresh_token_expires_in: 1e308 }),
      {
        signIn: false,
      },
    );
    assert.equal(absurd.tokens?.refreshTokenExpiresAt, undefined, "an absurd lifetime is no expiry at all");
  });

  test("saveTokens in batch mode is UnsupportedCall (batch tokens live in the process only)", async () => {
    const { saveTokens } = await import("../src/tokens/save-tokens.ts");
    const ctx = { ...(await programContext(fx, await newStoreDir())), store: undefined };
    const saved = await saveTokens(ctx, {} as TokenAnswer, { signIn: true });
    assert.equal(saved.status, IdentityStatusCode.UnsupportedCall);
  });
});
