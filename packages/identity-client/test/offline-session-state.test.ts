import assert from "node:assert/strict";
import { test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { authenticationData, isUserAuthenticated } from "../src/offline/session-state.ts";
import { issuerKeys, observe, offlineClient } from "./helpers/offline-fixture.ts";

/**
 * authenticationData reads identity and grace from the ID token as verified, not from the store's
 * copies (the store is the user's file). A signed-in session whose access token is still valid, so
 * that no server is asked.
 */
const issuer = "https://id.example.test/oidc/tenant-7";
const clientId = "notes-app";

async function signedInWith(idToken: (keys: Awaited<ReturnType<typeof issuerKeys>>) => Promise<string>) {
  const keys = await issuerKeys("RS256");
  const client = await offlineClient(issuer, clientId);
  const now = client.clock.now;
  await client.save({
    discovery: { metadata: { issuer }, jwks: keys.jwks, fetchedAt: now },
    tokens: {
      accessToken: "at",
      accessTokenExpiresAt: now + 3_600_000,
      refreshToken: "rt",
      refreshTokenExpiresAt: now + 86_400_000,
      idToken: await idToken(keys),
      obtainedAt: now,
    },
    profile: { subject: "stored-subject", email: "stored@example.test", displayName: "Stored", claims: {} },
    grace: { start: 0, end: Number.MAX_SAFE_INTEGER },
  });
  return client;
}

test("authenticationData: every field, identity and grace from the verified ID token", async () => {
  const iat = Math.floor(Date.now() / 1000);
  const client = await signedInWith((keys) =>
    keys.sign({
      iss: issuer,
      aud: clientId,
      sub: "user-7",
      iat,
      exp: iat + 3600,
      auth_time: iat - 60,
      email: "ada@example.test",
      name: "Ada Lovelace",
      tessera_offline_until: iat + 24 * 3600,
    }),
  );
  const data = observe(await authenticationData(client.ctx), "offline: authentication data fields");
  assert.equal(data.status, IdentityStatusCode.Success);
  assert.deepEqual(data.value, {
    subject: "user-7",
    tenant: "tenant-7",
    email: "ada@example.test",
    displayName: "Ada Lovelace",
    accessTokenExpiresAt: new Date(client.clock.now + 3_600_000),
    refreshTokenExpiresAt: new Date(client.clock.now + 86_400_000),
    idTokenExpiresAt: new Date((iat + 3600) * 1000),
    authenticatedAt: new Date((iat - 60) * 1000),
    gracePeriodStart: new Date(iat * 1000),
    gracePeriodEnd: new Date((iat + 24 * 3600) * 1000),
  });
  const state = observe(await isUserAuthenticated(client.ctx), "offline: signed in");
  assert.deepEqual([state.status, state.value], [IdentityStatusCode.Success, true]);
});

test("authenticationData: a stored ID token that does not verify is SignInRequired, whatever the store says", async () => {
  const iat = Math.floor(Date.now() / 1000);
  const forger = await issuerKeys("RS256");
  const client = await signedInWith(() =>
    forger.sign({
      iss: issuer,
      aud: clientId,
      sub: "someone-else",
      iat,
      exp: iat + 3600,
      tessera_offline_until: iat + 10 ** 8,
    }),
  );
  const data = observe(await authenticationData(client.ctx), "offline: authentication data, forged token");
  assert.equal(data.status, IdentityStatusCode.SignInRequired);
  assert.equal(data.value, undefined);
});

test("nobody signed in: authenticationData is AuthDataEmpty, isUserAuthenticated false with Success", async () => {
  const client = await offlineClient(issuer, clientId);
  assert.equal(
    observe(await authenticationData(client.ctx), "offline: authentication data, nobody").status,
    IdentityStatusCode.AuthDataEmpty,
  );
  const state = observe(await isUserAuthenticated(client.ctx), "offline: nobody signed in");
  assert.deepEqual([state.status, state.value], [IdentityStatusCode.Success, false]);
});
