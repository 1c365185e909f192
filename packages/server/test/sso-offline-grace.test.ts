import assert from "node:assert/strict";
import { after, before, mock, describe as suite, test } from "node:test";
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { ManualClock } from "../src/clock/clock.ts";
import { DEVICE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import {
  approveDevice,
  createTestApp,
  createTestUser,
  relyingParty,
  signInForCode,
  type TestApp,
  type TestUser,
  tokenRequest,
} from "./helpers/sso-grant-fixtures.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * What a program with the identity client learns from its tokens: every ID token carries
 * `tessera_offline_until` = its iat + the app's offlineGraceHours × 3600 (none for 0), signed with
 * the issuer's keys; a token answer with a refresh token says how long that refresh token works
 * (`refresh_token_expires_in`), by the server clock.
 *
 * oidc-provider stamps `iat` and `exp` with Date.now(), the server's stores expire by its Clock;
 * here both are one test-controlled time: the ManualClock, and Date mocked to follow it (only Date:
 * timers run for real), so three hours later is three hours later for every part of the server.
 */
const HOUR = 3600;
const DAY = 24 * HOUR;

class DateFollowingClock extends ManualClock {
  override advance(ms: number): void {
    super.advance(ms);
    mock.timers.tick(ms);
  }
}

for (const backend of backends) {
  suite(`SSO offline grace and refresh token expiry (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    let apiKey = "";
    let user: TestUser;
    let app: TestApp;
    let rp: oidc.Configuration;
    before(async () => {
      const clock = new DateFollowingClock();
      mock.timers.enable({ apis: ["Date"], now: clock.now() });
      s = await startTestServer(backend, { clock });
      const created = await s.tenant();
      tenantId = created.tenant.id;
      apiKey = created.apiKey;
      user = await createTestUser(s, apiKey, "olga");
      app = await createTestApp(s, tenantId, { kind: "native" });
      rp = await relyingParty(app);
    });
    after(async () => {
      mock.timers.reset();
      await s.close();
    });

    const advance = (ms: number) => s.clock.advance(ms);

    async function signedIn(forApp = app, forRp = rp) {
      const { request, callback } = await signInForCode(s, tenantId, forRp, forApp, user);
      return oidc.authorizationCodeGrant(forRp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
    }

    /** The ID token's claims, after checking its signature with the issuer's published keys. */
    async function verified(idToken: unknown, forApp = app): Promise<JWTPayload> {
      const jwks = (await (await fetch(`${forApp.issuer.href}/jwks`)).json()) as JSONWebKeySet;
      const { payload } = await jwtVerify(String(idToken), createLocalJWKSet(jwks), {
        issuer: forApp.issuer.href,
        audience: forApp.clientId,
      });
      return payload;
    }

    test("code flow and refresh: tessera_offline_until is iat + 72 hours by default, signed, and moves with iat", async () => {
      const tokens = await signedIn();
      const first = await verified(tokens.id_token);
      assert.equal(typeof first.iat, "number");
      assert.equal(first.tessera_offline_until, Number(first.iat) + 72 * HOUR);

      advance(3 * HOUR * 1000);
      const refreshed = await tokenRequest(app, {
        grant_type: "refresh_token",
        refresh_token: String(tokens.refresh_token),
      });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const second = await verified(refreshed.body.id_token);
      assert.equal(second.iat, Number(first.iat) + 3 * HOUR);
      assert.equal(second.tessera_offline_until, Number(first.tessera_offline_until) + 3 * HOUR);
    });

    test("device grant: its ID token carries the claim and its answer refresh_token_expires_in", async () => {
      const device = await createTestApp(s, tenantId, {
        kind: "native",
        grantTypes: [DEVICE_GRANT_TYPE, "refresh_token"],
        redirectUris: [],
      });
      const started = await oidc.initiateDeviceAuthorization(await relyingParty(device), {
        scope: "openid offline_access",
      });
      await approveDevice(s, tenantId, device, user, started);
      advance(5000); // the device's polling interval
      const tokens = await tokenRequest(device, {
        grant_type: DEVICE_GRANT_TYPE,
        device_code: started.device_code,
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const claims = await verified(tokens.body.id_token, device);
      assert.equal(claims.tessera_offline_until, Number(claims.iat) + 72 * HOUR);
      const left = Number(tokens.body.refresh_token_expires_in);
      assert.ok(left <= 14 * DAY && left > 14 * DAY - 120, String(left));
    });

    test("an app changed to offlineGraceHours 0 gets ID tokens without the claim; 720 gives 30 days", async () => {
      const other = await createTestApp(s, tenantId, { kind: "native" });
      const otherRp = await relyingParty(other);
      for (const hours of [0, 720]) {
        const changed = await s.api("PATCH", `/v1/apps/${other.clientId}`, {
          apiKey,
          scenario: "apps: offline grace hours changed",
          body: { offlineGraceHours: hours },
        });
        assert.equal(changed.status, 200, JSON.stringify(changed.body));
        const claims = await verified((await signedIn(other, otherRp)).id_token, other);
        if (hours === 0) assert.equal("tessera_offline_until" in claims, false, JSON.stringify(claims));
        else assert.equal(claims.tessera_offline_until, Number(claims.iat) + hours * HOUR);
      }
    });

    test("refresh_token_expires_in counts down by the server clock to the grant's end, where refreshing stops", async () => {
      const tokens = await signedIn();
      const initial = Number(tokens.refresh_token_expires_in);
      // The grant was saved at consent, within the sign-in: 14 days (sso.refreshTokenTtlDays) from then.
      assert.ok(initial <= 14 * DAY && initial > 14 * DAY - 120, String(initial));

      advance(3 * DAY * 1000);
      const later = await tokenRequest(app, {
        grant_type: "refresh_token",
        refresh_token: String(tokens.refresh_token),
      });
      assert.equal(later.status, 200, JSON.stringify(later.body));
      // The rotated refresh token is new, but its grant is not: three days fewer, to the second.
      assert.equal(later.body.refresh_token_expires_in, initial - 3 * DAY);

      advance((initial - 3 * DAY - 1) * 1000);
      const last = await tokenRequest(app, {
        grant_type: "refresh_token",
        refresh_token: String(later.body.refresh_token),
      });
      assert.equal(last.status, 200, JSON.stringify(last.body));
      assert.equal(last.body.refresh_token_expires_in, 1);
      advance(1000);
      const over = await tokenRequest(app, {
        grant_type: "refresh_token",
        refresh_token: String(last.body.refresh_token),
      });
      assert.equal(over.status, 400);
      assert.equal(over.body.error, "invalid_grant");
    });
  });
}
