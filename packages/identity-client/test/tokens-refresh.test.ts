import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { IdentityStatusCode } from "../src/index.ts";
import { startProgramProcesses } from "./helpers/tokens-children.ts";
import {
  cacheDiscovery,
  expireAccessToken,
  newStoreDir,
  observe,
  programClient,
  programContext,
  refreshCount,
  signedInProgram,
  signInInto,
  stored,
  tokensFixtureForSuite,
} from "./helpers/tokens-fixture.ts";

suite("tokens: the access token, refreshed once across processes", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill();
  });
  const fx = tokensFixtureForSuite();

  test("20 processes asking for a token right after it expired cause exactly one refresh at the server, and all get the same new token", async () => {
    const { storeDir, ctx, signedIn } = await signedInProgram(fx);
    const started = await startProgramProcesses(fx, storeDir, 20);
    children.push(...started.map((s) => s.child));
    await expireAccessToken(ctx);
    const before = await refreshCount(fx, "tokens: refresh race");
    for (const program of started) program.go();
    const answers = await Promise.all(started.map((s) => s.answer));
    for (const answer of answers) observe(answer, "tokens: 20 processes share one refresh");
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => IdentityStatusCode.Success),
    );
    const tokens = new Set(answers.map((a) => a.token));
    assert.equal(tokens.size, 1, "all 20 processes got the same token");
    const [token] = tokens;
    assert.notEqual(token, signedIn.tokens?.accessToken, "the token is a new one");
    assert.equal(token, (await stored(ctx))?.tokens?.accessToken, "the new token is the one in the store");
    assert.equal((await refreshCount(fx, "tokens: refresh race")) - before, 1, "the server refreshed once");
  });

  test("a valid access token is answered from the store, without a refresh", async () => {
    const { storeDir, signedIn } = await signedInProgram(fx);
    const client = await programClient(fx, storeDir);
    const before = await refreshCount(fx, "tokens: fast path");
    const answer = observe(await client.getAccessToken(), "tokens: a valid token from the store");
    assert.equal(answer.status, IdentityStatusCode.Success);
    assert.equal(answer.value, signedIn.tokens?.accessToken);
    assert.equal(await refreshCount(fx, "tokens: fast path"), before);
    client.close();
  });

  test("nobody signed in: AuthDataEmpty", async () => {
    const client = await programClient(fx, await newStoreDir());
    const answer = observe(await client.getAccessToken(), "tokens: nobody signed in");
    assert.equal(answer.status, IdentityStatusCode.AuthDataEmpty);
    assert.equal(answer.value, undefined);
    client.close();
  });

  test("a refresh the server refuses (invalid_grant: the grant was revoked) ends the sign-in for every process", async () => {
    const { storeDir, ctx, signedIn } = await signedInProgram(fx);
    const refreshToken = signedIn.tokens?.refreshToken;
    assert.ok(refreshToken !== undefined && ctx.server !== undefined);
    await oidc.tokenRevocation(ctx.server, refreshToken, { token_type_hint: "refresh_token" });
    await expireAccessToken(ctx);
    const client = await programClient(fx, storeDir);
    const ended = observe(await client.getAccessToken(), "tokens: refresh refused with invalid_grant");
    assert.equal(ended.status, IdentityStatusCode.SignInRequired);
    const after = await stored(ctx);
    assert.equal(after?.tokens, undefined, "the tokens left the store");
    assert.equal(after?.generation, signedIn.generation + 1, "other processes see a sign-out");
    const other = await programClient(fx, storeDir);
    assert.equal(
      observe(await other.getAccessToken(), "tokens: after the sign-in ended").status,
      IdentityStatusCode.AuthDataEmpty,
    );
    client.close();
    other.close();
  });

  test("a refresh token past its expiry (refresh_token_expires_in) is not sent: SignInRequired", async () => {
    const { storeDir, ctx } = await signedInProgram(fx);
    await ctx.store?.update(async (current) => ({
      next:
        current?.tokens === undefined
          ? "unchanged"
          : { ...current, tokens: { ...current.tokens, refreshTokenExpiresAt: Date.now() - 1 } },
      value: undefined,
    }));
    await expireAccessToken(ctx);
    const before = await refreshCount(fx, "tokens: expired refresh token");
    const client = await programClient(fx, storeDir);
    const answer = observe(await client.getAccessToken(), "tokens: the refresh token expired");
    assert.equal(answer.status, IdentityStatusCode.SignInRequired);
    assert.equal((await stored(ctx))?.tokens, undefined);
    assert.equal(await refreshCount(fx, "tokens: expired refresh token"), before, "nothing was sent");
    client.close();
  });

  test("the server unreachable when the token expired: Offline within the signed grace period, the stored token, the sign-in kept", async () => {
    const storeDir = await newStoreDir();
    const ctx = await programContext(fx, storeDir);
    await cacheDiscovery(ctx);
    const signedIn = await signInInto(fx, ctx);
    assert.ok(signedIn.grace !== undefined, "the server signed a grace period");
    const client = await programClient(fx, storeDir);
    await expireAccessToken(ctx);
    // Stopping the server ends this suite's use of it: this test runs last.
    await fx.s.server.close();
    const answer = observe(await client.getAccessToken(), "tokens: refresh with the server unreachable");
    assert.equal(answer.status, IdentityStatusCode.Offline, answer.message);
    assert.equal(answer.value, signedIn.tokens?.accessToken);
    assert.equal(
      (await stored(ctx))?.tokens?.refreshToken,
      signedIn.tokens?.refreshToken,
      "the sign-in is kept",
    );
    client.close();
  });
});
