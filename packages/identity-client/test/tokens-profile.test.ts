import assert from "node:assert/strict";
import { before, describe as suite, test } from "node:test";
import { IdentityStatusCode } from "../src/index.ts";
import {
  cacheDiscovery,
  expireAccessToken,
  newStoreDir,
  observe,
  programClient,
  programContext,
  signedInProgram,
  signInInto,
  startTokensFixture,
  stored,
  tokensFixtureForSuite,
} from "./helpers/tokens-fixture.ts";

suite("tokens: the user profile", () => {
  const fx = tokensFixtureForSuite();
  before(async () => {
    const named = await fx.s.api("PATCH", `/v1/users/${fx.user.username}`, {
      apiKey: fx.apiKey,
      body: { firstName: "Ilse", lastName: "Aichinger", email: "ilse@example.com" },
      scenario: "tokens: a user with a name",
    });
    assert.equal(named.status, 200);
  });

  test("the profile comes from userinfo, is cached at sign-in and refreshed for every process", async () => {
    const { storeDir, ctx, signedIn } = await signedInProgram(fx);
    assert.equal(signedIn.profile?.subject, fx.user.id, "cached at sign-in");
    assert.equal(signedIn.profile?.displayName, "Ilse Aichinger");
    assert.equal(signedIn.profile?.tenant, fx.tenantId);
    const renamed = await fx.s.api("PATCH", `/v1/users/${fx.user.username}`, {
      apiKey: fx.apiKey,
      body: { firstName: "Ilse", lastName: "Eich" },
      scenario: "tokens: the user's name changes",
    });
    assert.equal(renamed.status, 200);
    const client = await programClient(fx, storeDir);
    const profile = observe(await client.getUserProfile(), "tokens: user profile");
    assert.equal(profile.status, IdentityStatusCode.Success);
    assert.equal(profile.value?.subject, fx.user.id);
    assert.equal(profile.value?.email, "ilse@example.com");
    assert.equal(profile.value?.displayName, "Ilse Eich", "fresh from userinfo");
    assert.equal((await stored(ctx))?.profile?.displayName, "Ilse Eich", "and cached for the others");
    client.close();
  });

  test("nobody signed in: AuthDataEmpty", async () => {
    const client = await programClient(fx, await newStoreDir());
    assert.equal(
      observe(await client.getUserProfile(), "tokens: profile, nobody signed in").status,
      IdentityStatusCode.AuthDataEmpty,
    );
    client.close();
  });

  test("the server unreachable: Offline with the cached profile within the signed grace period", async () => {
    const own = await startTokensFixture();
    const storeDir = await newStoreDir();
    const ctx = await programContext(own, storeDir);
    await cacheDiscovery(ctx);
    const signedIn = await signInInto(own, ctx);
    const client = await programClient(own, storeDir);
    await expireAccessToken(ctx);
    await own.s.close();
    const profile = observe(await client.getUserProfile(), "tokens: profile with the server unreachable");
    assert.equal(profile.status, IdentityStatusCode.Offline, profile.message);
    assert.deepEqual(profile.value, signedIn.profile);
    client.close();
  });
});
