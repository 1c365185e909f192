import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { decodeJwt } from "jose";
import * as oidc from "openid-client";
import type { ServerProcess } from "../../server/test/helpers/server-process.ts";
import type { ClientContext } from "../src/client-context.ts";
import { IdentityClient } from "../src/index.ts";
import { decideOffline } from "../src/offline/offline-decision.ts";
import { classifyFailure } from "../src/results/classify-failure.ts";
import type { SessionData } from "../src/session/session-data.ts";
import { initialize } from "../src/setup/initialize.ts";
import { saveTokens } from "../src/tokens/save-tokens.ts";
import { type NativeAppServer, startNativeAppServer } from "./helpers/native-app-server.ts";
import { observe } from "./helpers/offline-fixture.ts";

/**
 * Offline against a real `tessera start` process: a person signs in to a native app whose offline
 * grace is 24 hours (offlineGraceHours, signed into the ID token as tessera_offline_until), then
 * the server is STOPPED, and the client's clock (the IdentityClient's and the context's `now`) is
 * moved: within the grace Offline, after it SignInRequired, rolled back SignInRequired, and an
 * edited store gives nothing beyond what the server signed.
 */
const hour = 3_600_000;

suite("offline against a stopped tessera start", () => {
  let fixture: NativeAppServer;
  let server: ServerProcess;
  const storeDirs: string[] = [];
  let issuer = "";
  let tenantId = "";
  let clientId = "";
  const clock = { now: Date.now() };

  before(async () => {
    fixture = await startNativeAppServer({
      tenant: "offline-co",
      scenario: "offline: setup",
      grantTypes: ["authorization_code", "refresh_token"],
    });
    ({ server, tenantId, clientId, issuer } = fixture);
  });
  after(async () => {
    apiClient?.close();
    await fixture?.close();
    for (const dir of storeDirs) await rm(dir, { recursive: true, force: true });
  });

  /** A sign-in over HTTP into its own store (one user's machine); the context the client works with. */
  async function signedIn(): Promise<{ ctx: ClientContext; idToken: string; storeDir: string }> {
    const storeDir = await mkdtemp(join(tmpdir(), "tessera-offline-store-"));
    storeDirs.push(storeDir);
    const init = await initialize({ issuer, clientId, mode: "interactive", storeDir }, () => clock.now);
    assert.equal(init.status, IdentityStatusCode.Success, init.message);
    const ctx = init.value;
    assert.ok(ctx?.store !== undefined && ctx.server !== undefined);
    const answer = await fixture.signIn();
    assert.ok(answer.id_token);
    // What init caches for offline use (discovery and the issuer's JWKS) and what a sign-in caches
    // (the userinfo profile), written here as well so that this test does not depend on which
    // part of the client does it when.
    const metadata = ctx.server.serverMetadata();
    const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as SessionData["discovery"] & {};
    const info = await oidc.fetchUserInfo(ctx.server, answer.access_token, oidc.skipSubjectCheck);
    await ctx.store.update(async (current) => ({
      next: {
        ...(current ?? { version: 1, issuer: ctx.options.issuerUrl.href, clientId, generation: 0 }),
        discovery: { metadata: { ...metadata }, jwks: jwks as never, fetchedAt: clock.now },
        profile: {
          subject: info.sub,
          ...(info.email === undefined ? {} : { email: info.email }),
          ...(info.name === undefined ? {} : { displayName: info.name }),
          claims: info,
        },
      },
      value: undefined,
    }));
    const saved = await saveTokens(ctx, answer, { signIn: true });
    assert.equal(saved.status, IdentityStatusCode.Success, saved.message);
    return { ctx, idToken: answer.id_token, storeDir };
  }

  async function decide(ctx: ClientContext, at: number, scenario: string) {
    clock.now = at;
    const read = await ctx.store?.read();
    assert.ok(read?.ok && read.value !== undefined);
    const cause = classifyFailure(await fetch(server.url).catch((error: unknown) => error));
    assert.equal(cause.status, IdentityStatusCode.ConnectionError, "the server is stopped");
    return observe(await decideOffline(ctx, read.value, cause), scenario);
  }

  let viaApi: Awaited<ReturnType<typeof signedIn>>;
  let apiClient: IdentityClient | undefined;
  let within: Awaited<ReturnType<typeof signedIn>>;
  let rolled: Awaited<ReturnType<typeof signedIn>>;
  let edited: Awaited<ReturnType<typeof signedIn>>;
  let iat = 0;
  let graceEnd = 0;

  test("nobody signed in: isUserAuthenticated is false, authenticationData AuthDataEmpty", async () => {
    const storeDir = await mkdtemp(join(tmpdir(), "tessera-offline-store-"));
    storeDirs.push(storeDir);
    const client = new IdentityClient({ now: () => clock.now });
    assert.equal(
      observe(await client.init({ issuer, clientId, mode: "interactive", storeDir }), "offline: init").status,
      IdentityStatusCode.Success,
    );
    const state = observe(await client.isUserAuthenticated(), "offline: nobody signed in");
    assert.deepEqual([state.status, state.value], [IdentityStatusCode.Success, false]);
    const data = observe(await client.authenticationData(), "offline: authentication data, nobody");
    assert.equal(data.status, IdentityStatusCode.AuthDataEmpty);
    assert.equal(data.value, undefined);
    client.close();
  });

  test("signed in: authenticationData has every field, the grace read from the signed ID token", async () => {
    viaApi = await signedIn();
    apiClient = new IdentityClient({ now: () => clock.now });
    const init = { issuer, clientId, mode: "interactive" as const, storeDir: viaApi.storeDir };
    assert.equal(observe(await apiClient.init(init), "offline: init").status, IdentityStatusCode.Success);
    within = await signedIn();
    rolled = await signedIn();
    edited = await signedIn();
    const claims = decodeJwt(within.idToken);
    iat = (claims.iat ?? 0) * 1000;
    assert.equal(
      typeof claims.tessera_offline_until,
      "number",
      "the server signs the grace into the ID token",
    );
    graceEnd = Number(claims.tessera_offline_until) * 1000;
    assert.equal(graceEnd - iat, 24 * hour, "the app's grace");

    const client = new IdentityClient({ now: () => clock.now });
    observe(
      await client.init({ issuer, clientId, mode: "interactive", storeDir: within.storeDir }),
      "offline: init",
    );
    const state = observe(await client.isUserAuthenticated(), "offline: signed in");
    assert.deepEqual([state.status, state.value], [IdentityStatusCode.Success, true]);
    const data = observe(await client.authenticationData(), "offline: authentication data");
    assert.equal(data.status, IdentityStatusCode.Success);
    const value = data.value;
    assert.ok(value);
    assert.equal(value.subject, claims.sub);
    assert.equal(value.tenant, tenantId);
    assert.equal(value.email, "ada@example.test");
    assert.equal(value.displayName, "Ada Lovelace");
    assert.equal(value.idTokenExpiresAt?.getTime(), (claims.exp ?? 0) * 1000);
    // Every ID token of a native app carries auth_time (require_auth_time in its client metadata).
    assert.equal(typeof claims.auth_time, "number", "auth_time in a native app's ID token");
    assert.equal(value.authenticatedAt?.getTime(), (claims.auth_time as number) * 1000);
    assert.ok(value.accessTokenExpiresAt !== undefined && value.accessTokenExpiresAt.getTime() > clock.now);
    assert.equal(value.gracePeriodStart?.getTime(), iat);
    assert.equal(value.gracePeriodEnd?.getTime(), graceEnd);
    client.close();
  });

  test("online, a clock set back below the server's time: the server is asked (a refresh), not the clock", async () => {
    const skewed = await signedIn();
    const client = new IdentityClient({ now: () => clock.now });
    const init = { issuer, clientId, mode: "interactive" as const, storeDir: skewed.storeDir };
    assert.equal(observe(await client.init(init), "offline: init").status, IdentityStatusCode.Success);
    clock.now = Date.now() - 2 * hour;
    const state = observe(await client.isUserAuthenticated(), "offline: online, clock behind");
    assert.deepEqual([state.status, state.value], [IdentityStatusCode.Success, true], state.message);
    const read = await skewed.ctx.store?.read();
    assert.ok(read?.ok);
    assert.notEqual(read.value?.tokens?.idToken, skewed.idToken, "renewed at the server");
    client.close();
    clock.now = Date.now();
  });

  test("server stopped, within the grace: Offline with the cached tokens; after it: SignInRequired", async () => {
    assert.equal(await server.stop(), 0);
    const offline = await decide(within.ctx, iat + 12 * hour, "offline: stopped server, within grace");
    assert.equal(offline.status, IdentityStatusCode.Offline, offline.message);
    assert.equal(offline.value?.tokens?.idToken, within.idToken);
    assert.ok(offline.value?.tokens?.accessToken);
    assert.equal(offline.value?.profile?.email, "ada@example.test", "the cached profile");
    const ended = await decide(within.ctx, graceEnd + 1000, "offline: stopped server, grace ended");
    assert.equal(ended.status, IdentityStatusCode.SignInRequired);
    assert.match(ended.message ?? "", /cannot be reached.*grace period ended/);
  });

  test("server stopped, clock rolled back below the last server time: SignInRequired, also when set forward again", async () => {
    assert.equal(
      (await decide(rolled.ctx, iat + hour, "offline: before rollback")).status,
      IdentityStatusCode.Offline,
    );
    const back = await decide(rolled.ctx, iat - 24 * hour, "offline: clock rolled back");
    assert.equal(back.status, IdentityStatusCode.SignInRequired);
    assert.match(back.message ?? "", /rolled back/);
    const forward = await decide(rolled.ctx, iat + 2 * hour, "offline: clock forward again");
    assert.equal(forward.status, IdentityStatusCode.SignInRequired);
  });

  test("server stopped, a store re-sealed with edited grace numbers or an edited ID token: no grace beyond the signed one", async () => {
    const { store } = edited.ctx;
    assert.ok(store);
    const far = Number.MAX_SAFE_INTEGER;
    const resealed = await store.update(async (current) => {
      assert.ok(current?.tokens);
      return { next: { ...current, grace: { start: iat, end: far } }, value: current.tokens };
    });
    assert.ok(resealed.ok);
    const beyond = await decide(edited.ctx, graceEnd + 24 * hour, "offline: edited grace numbers");
    assert.equal(beyond.status, IdentityStatusCode.SignInRequired);

    // The ID token's payload changed to a longer grace, its signature kept: it no longer verifies.
    const [header, payload, signature] = within.idToken.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    claims.tessera_offline_until += 365 * 24 * 3600;
    const longer = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    const tampered = await signedInStoreWith(rolled.ctx, longer);
    assert.equal(tampered.status, IdentityStatusCode.SignInRequired);
  });

  test("through the client's API, server stopped: Offline once the access token needs renewing; rolled back or after the grace SignInRequired", async () => {
    assert.ok(apiClient);
    const read = await viaApi.ctx.store?.read();
    const tokens = read?.ok ? read.value?.tokens : undefined;
    assert.ok(tokens?.refreshToken, "a refresh token to renew with");
    const ownGraceEnd = Number(decodeJwt(viaApi.idToken).tessera_offline_until) * 1000;
    // The access token expired by the local clock: renewing it finds the server gone.
    clock.now = tokens.accessTokenExpiresAt + 60_000;
    assert.ok(clock.now < ownGraceEnd);
    const state = observe(await apiClient.isUserAuthenticated(), "offline: api, within grace");
    assert.deepEqual([state.status, state.value], [IdentityStatusCode.Offline, true], state.message);
    const data = observe(await apiClient.authenticationData(), "offline: api, authentication data offline");
    assert.equal(data.status, IdentityStatusCode.Offline);
    assert.equal(data.value?.gracePeriodEnd?.getTime(), ownGraceEnd);
    assert.equal(data.value?.email, "ada@example.test");

    // Set back to when the access token still looked valid: it is not taken on the clock's word.
    clock.now = tokens.accessTokenExpiresAt - 10 * 60_000;
    const rolled = observe(await apiClient.isUserAuthenticated(), "offline: api, clock rolled back");
    assert.deepEqual(
      [rolled.status, rolled.value],
      [IdentityStatusCode.SignInRequired, false],
      rolled.message,
    );
    // Forward again, inside the signed grace: the grace withdrawn stays withdrawn.
    clock.now = tokens.accessTokenExpiresAt + 2 * 60_000;
    const again = observe(await apiClient.isUserAuthenticated(), "offline: api, clock forward again");
    assert.deepEqual([again.status, again.value], [IdentityStatusCode.SignInRequired, false], again.message);

    clock.now = ownGraceEnd + 1000;
    const after = observe(await apiClient.isUserAuthenticated(), "offline: api, grace ended");
    assert.deepEqual([after.status, after.value], [IdentityStatusCode.SignInRequired, false]);
    const ended = observe(await apiClient.authenticationData(), "offline: api, authentication data ended");
    assert.equal(ended.status, IdentityStatusCode.SignInRequired);
    assert.equal(ended.value, undefined);
  });

  /** Puts `idToken` into the context's store (re-sealed with its key) and decides within the signed grace. */
  async function signedInStoreWith(ctx: ClientContext, idToken: string) {
    const { store } = ctx;
    assert.ok(store);
    await store.update(async (current) => {
      assert.ok(current?.tokens);
      const { revokedGraceStart: _, lastLocalTime: __, ...rest } = current;
      return { next: { ...rest, tokens: { ...current.tokens, idToken } }, value: undefined };
    });
    return decide(ctx, iat + hour, "offline: edited ID token");
  }
});
