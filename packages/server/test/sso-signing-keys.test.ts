import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import * as jose from "jose";
import { KeyService } from "../src/secrets/key-service.ts";
import { generateMasterKey } from "../src/secrets/keyring.ts";
import { keepRetiredSigningKeysMs } from "../src/sso/provider/provider-configuration.ts";
import { ensureSigningKeys, rotateSigningKeys } from "../src/sso/provider/signing-keys.ts";
import { basicAuth, clientCredentials, insertAppRow, issuerFailure } from "./helpers/sso-app-row.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Signing keys: rotation with the retired key kept in the JWKS for as long as its tokens live,
 * the one-current-key rule under concurrency, and SSOCertificateError for keys that do not open.
 * Tokens are signed by the tenant's own provider (its IdToken model, as the token endpoint does)
 * and verified by jose against the JWKS served over HTTP, as a relying party would.
 */
/** How long the server waits before it compares its keys with the stored ones again. */
const KEY_CHECK_MS = 5000;

for (const backend of backends) {
  suite(`SSO signing keys (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    const setup = async () => {
      const { tenant, apiKey } = await s.tenant();
      const clientId = `app-${tenant.id.slice(0, 8)}`;
      await insertAppRow(s.server.ctx, tenant.id, clientId);
      const issuer = new URL(`/oidc/${tenant.id}`, s.url).href;
      return { tenantId: tenant.id, apiKey, clientId, issuer };
    };

    /** An ID token for `alg`, signed by the tenant's provider with its current key. */
    const idToken = async (tenantId: string, clientId: string, alg: "ES256" | "RS256") => {
      const provider = await s.server.ctx.sso.providerFor(tenantId);
      const client = await provider.Client.find(clientId);
      assert.ok(client);
      const signer = Object.create(client, { idTokenSignedResponseAlg: { value: alg } });
      const token = new provider.IdToken({ sub: "user-1" }, { client: signer });
      // oidc-provider masks the claims by the granted scope, as it does at the token endpoint.
      Object.assign(token, { scope: "openid" });
      return token.issue({ use: "idtoken" });
    };

    const jwks = async (issuer: string) => {
      const response = await fetch(`${issuer}/jwks`);
      assert.equal(response.status, 200);
      return (await response.json()) as jose.JSONWebKeySet;
    };

    const verify = async (issuer: string, clientId: string, token: string) =>
      jose.jwtVerify(token, jose.createLocalJWKSet(await jwks(issuer)), { issuer, audience: clientId });

    const currentKids = async () =>
      (
        await s.server.ctx.database.db
          .selectFrom("sso_signing_keys")
          .select(["alg", "kid"])
          .where("retired_at", "is", null)
          .orderBy("alg")
          .execute()
      ).map((row) => row.kid);

    test("tokens signed before a rotation verify after it until the window ends; new ones carry the new kid", async () => {
      const { tenantId, clientId, issuer } = await setup();
      const before = {
        es: await idToken(tenantId, clientId, "ES256"),
        rs: await idToken(tenantId, clientId, "RS256"),
      };
      const oldKids = await currentKids();
      assert.deepEqual(
        [jose.decodeProtectedHeader(before.es).kid, jose.decodeProtectedHeader(before.rs).kid],
        oldKids,
      );

      const rotation = await rotateSigningKeys(s.server.ctx);
      assert.deepEqual([...rotation.retired].sort(), [...oldKids].sort());
      // This server notices the rotation as another process's would: by comparing stored keys.
      s.clock.advance(KEY_CHECK_MS);
      const after = {
        es: await idToken(tenantId, clientId, "ES256"),
        rs: await idToken(tenantId, clientId, "RS256"),
      };
      assert.deepEqual(
        [jose.decodeProtectedHeader(after.es).kid, jose.decodeProtectedHeader(after.rs).kid],
        rotation.current,
      );
      const published = (await jwks(issuer)).keys.map((k) => k.kid);
      assert.deepEqual(published, [...rotation.current, ...oldKids]);
      assert.equal(
        (await jwks(issuer)).keys.some((k) => "d" in k),
        false,
        "the JWKS holds public keys only",
      );
      for (const token of [before.es, before.rs, after.es, after.rs]) {
        assert.equal((await verify(issuer, clientId, token)).payload.sub, "user-1");
      }

      s.clock.advance(keepRetiredSigningKeysMs);
      assert.deepEqual(
        (await jwks(issuer)).keys.map((k) => k.kid),
        rotation.current,
      );
      await assert.rejects(verify(issuer, clientId, before.es), jose.errors.JWKSNoMatchingKey);
      await assert.rejects(verify(issuer, clientId, before.rs), jose.errors.JWKSNoMatchingKey);
      assert.equal((await verify(issuer, clientId, after.rs)).payload.sub, "user-1");

      // The next rotation deletes keys retired longer ago than the window.
      const next = await rotateSigningKeys(s.server.ctx);
      assert.equal(next.dropped, 2);
      s.clock.advance(KEY_CHECK_MS);
    });

    test("concurrent first starts and concurrent rotations leave one current key per algorithm", async () => {
      const { db } = s.server.ctx.database;
      const currentPerAlg = async () =>
        (await db.selectFrom("sso_signing_keys").select("alg").where("retired_at", "is", null).execute())
          .map((row) => row.alg)
          .sort();
      await db.deleteFrom("sso_signing_keys").execute();
      await Promise.all(Array.from({ length: 8 }, () => ensureSigningKeys(s.server.ctx)));
      assert.deepEqual(await currentPerAlg(), ["ES256", "RS256"]);
      const rotations = await Promise.all(Array.from({ length: 4 }, () => rotateSigningKeys(s.server.ctx)));
      assert.deepEqual(await currentPerAlg(), ["ES256", "RS256"]);
      const last = await currentKids();
      assert.ok(rotations.some((r) => [...r.current].sort().join() === [...last].sort().join()));
      s.clock.advance(KEY_CHECK_MS);
    });

    test("an unusable signing key is SSOCertificateError: readiness, token endpoint, discovery, JWKS and pages; a rotation repairs it", async () => {
      const { apiKey, clientId, issuer } = await setup();
      const { db } = s.server.ctx.database;
      const [esKid] = await currentKids();
      assert.ok(esKid);
      const original = await db
        .selectFrom("sso_signing_keys")
        .select("private_jwk_enc")
        .where("kid", "=", esKid)
        .executeTakeFirstOrThrow();
      const foreign = new KeyService({
        active: "foreign",
        keys: [{ ...generateMasterKey(), id: "foreign" }],
        file: undefined,
      });
      const aad = `sso_signing_keys.private_jwk_enc:${esKid}`;
      const breakages: Record<string, string> = {
        "sealed under a master key not in the keyring": foreign.encrypt(
          s.server.ctx.keys.decrypt(original.private_jwk_enc, aad).toString(),
          aad,
        ),
        "a corrupted row": `${original.private_jwk_enc.slice(0, -8)}AAAAAAAA`,
        "a JWK that does not import": s.server.ctx.keys.encrypt(
          JSON.stringify({ kty: "EC", crv: "P-256", x: "AA", y: "AA", d: "AA", kid: esKid, alg: "ES256" }),
          aad,
        ),
      };
      const basic = basicAuth(clientId);
      const token = (scenario: string) =>
        issuerFailure(
          `${issuer}/token`,
          {
            method: "POST",
            headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
            body: "grant_type=client_credentials&scope=openid",
          },
          scenario,
        );
      for (const [breakage, sealed] of Object.entries(breakages)) {
        await db
          .updateTable("sso_signing_keys")
          .set({ private_jwk_enc: sealed })
          .where("kid", "=", esKid)
          .execute();
        const scenario = `sso keys: ${breakage}`;
        const ready = await s.api("GET", "/ready", { scenario });
        assert.equal(ready.body.errorCode, ApiReturnCode.SSOCertificateError, breakage);
        s.clock.advance(KEY_CHECK_MS);
        for (const answer of [
          await token(scenario),
          await issuerFailure(`${issuer}/.well-known/openid-configuration`, {}, scenario),
          await issuerFailure(`${issuer}/jwks`, {}, scenario),
        ]) {
          assert.equal(answer.status, 500, breakage);
          assert.equal(answer.body.errorCode, ApiReturnCode.SSOCertificateError);
          assert.equal(answer.body.errorName, "SSOCertificateError");
          assert.equal(answer.body.error, "server_error");
          const requestId = answer.headers.get("x-request-id") ?? "";
          assert.ok(String(answer.body.errorMessage).includes(requestId) && requestId !== "");
          const text = JSON.stringify(answer.body);
          assert.doesNotMatch(text, /\n\s+at |es256-|Error:/, "no stack, no key id, no exception text");
        }
        const page = await fetch(
          `${issuer}/auth?client_id=${clientId}&response_type=code&scope=openid&ui_locales=es`,
          {
            headers: { accept: "text/html" },
          },
        );
        const html = await page.text();
        assert.equal(page.status, 500);
        const pageRequestId = page.headers.get("x-request-id") ?? "";
        assert.ok(html.includes(pageRequestId) && pageRequestId !== "");
        assert.doesNotMatch(html, /es256-|Error:/);
        // The SSO error page (as the provider's own renderError), in the request's language.
        assert.match(html, /<html lang="es">[\s\S]*<p id="request-id">/);
        assert.equal(page.headers.get("x-frame-options"), "DENY");
        const audited = await s.api("GET", `/v1/audit?resultCode=${ApiReturnCode.SSOCertificateError}`, {
          apiKey,
          scenario,
        });
        const ids = (audited.body.events as { requestId: string }[]).map((e) => e.requestId);
        assert.ok(ids.includes(pageRequestId), "the page's code is in the audit trail");
        await db
          .updateTable("sso_signing_keys")
          .set({ private_jwk_enc: original.private_jwk_enc })
          .where("kid", "=", esKid)
          .execute();
        assert.equal((await s.api("GET", "/ready", { scenario })).status, 200);
      }

      // A missing current key (the row deleted) is refused too, and a rotation repairs the installation.
      await db.deleteFrom("sso_signing_keys").where("kid", "=", esKid).execute();
      assert.equal((await s.api("GET", "/ready", { scenario: "sso keys: missing" })).body.errorCode, 9060);
      await rotateSigningKeys(s.server.ctx);
      assert.equal((await s.api("GET", "/ready", { scenario: "sso keys: repaired" })).status, 200);
      s.clock.advance(KEY_CHECK_MS);
      const repaired = await clientCredentials(issuer, clientId);
      assert.equal(repaired.status, 200);
    });
  });
}
