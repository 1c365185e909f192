import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import * as oidc from "openid-client";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * /v1/apps: a tenant's OpenID Connect clients, registered, read, changed, deleted and given new
 * secrets, checked against the provider they configure through openid-client.
 */
const insecure = { execute: [oidc.allowInsecureRequests] };
const confidentialBody = {
  name: "Back office",
  kind: "confidential",
  grantTypes: ["client_credentials"],
};

for (const backend of backends) {
  suite(`SSO apps API (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    const issuerOf = (tenantId: string) => new URL(`/oidc/${tenantId}`, s.url);
    const create = (apiKey: string, body: unknown, scenario = "apps: register") =>
      s.api("POST", "/v1/apps", { apiKey, scenario, body });
    const appOf = (r: { body: Record<string, unknown> }) =>
      r.body.app as Record<string, unknown> & { clientId: string };

    test("a confidential app is registered with its secret shown once, then read, listed, changed and deleted", async () => {
      const { apiKey } = await s.tenant();
      const scenario = "apps: lifecycle";
      const created = await create(
        apiKey,
        {
          ...confidentialBody,
          grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
          redirectUris: ["https://backoffice.acme.example/callback"],
          scopes: ["email", "offline_access"],
          secondFactors: ["totp"],
          requireSecondFactor: true,
        },
        scenario,
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const app = appOf(created);
      const secret = created.body.clientSecret as string;
      // 256 bits: 32 bytes, 43 base64url characters.
      assert.equal(Buffer.from(secret, "base64url").length, 32);
      assert.deepEqual(app.scopes, ["openid", "offline_access", "email"], "openid always, catalogue order");
      assert.equal(app.firstParty, true, "the tenant's own app by default");
      assert.equal(app.hasSecret, true);
      const stored = await s.server.ctx.database.db
        .selectFrom("sso_apps")
        .select("secret_enc")
        .where("client_id", "=", app.clientId)
        .executeTakeFirstOrThrow();
      assert.ok(!String(stored.secret_enc).includes(secret), "the secret is stored sealed");

      const shown = await s.api("GET", `/v1/apps/${app.clientId}`, { apiKey, scenario });
      assert.equal(shown.status, 200);
      assert.deepEqual(appOf(shown), app);
      const listed = await s.api("GET", "/v1/apps", { apiKey, scenario });
      assert.deepEqual(listed.body.apps, [app]);
      assert.equal(listed.body.nextCursor, null);
      for (const answer of [shown, listed]) assert.ok(!JSON.stringify(answer.body).includes(secret));

      const changed = await s.api("PATCH", `/v1/apps/${app.clientId}`, {
        apiKey,
        scenario,
        body: { name: "Back office 2", firstParty: false },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(appOf(changed).name, "Back office 2");
      assert.equal(appOf(changed).firstParty, false);
      assert.deepEqual(appOf(changed).redirectUris, app.redirectUris, "what was not given stays");
      assert.ok(!JSON.stringify(changed.body).includes(secret));

      const deleted = await s.api("DELETE", `/v1/apps/${app.clientId}`, { apiKey, scenario });
      assert.equal(deleted.status, 200);
      for (const [method, path] of [
        ["GET", `/v1/apps/${app.clientId}`],
        ["DELETE", `/v1/apps/${app.clientId}`],
        ["PATCH", `/v1/apps/${app.clientId}`],
        ["POST", `/v1/apps/${app.clientId}/rotate-secret`],
      ] as const) {
        const gone = await s.api(method, path, {
          apiKey,
          scenario,
          ...(method === "PATCH" ? { body: { name: "x" } } : {}),
        });
        assert.equal(gone.status, 404, `${method} ${path}`);
        assert.equal(gone.body.errorCode, TesseraApiCode.NotFound);
        assert.equal(gone.body.field, "params.clientId");
      }
    });

    test("client ids are random, and a public app has no secret to show or rotate", async () => {
      const { apiKey } = await s.tenant();
      const scenario = "apps: public";
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await create(
          apiKey,
          { name: `Cli ${i}`, kind: "native", redirectUris: ["http://127.0.0.1/cb"] },
          scenario,
        );
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.clientSecret, undefined);
        assert.equal(appOf(r).hasSecret, false);
        ids.push(appOf(r).clientId);
      }
      assert.equal(new Set(ids).size, ids.length);
      for (const id of ids) assert.equal(Buffer.from(id, "base64url").length, 16, "128 random bits");
      // Not sequential: consecutive ids share no long prefix.
      for (let i = 1; i < ids.length; i++)
        assert.ok(
          !(ids[i] as string).startsWith((ids[i - 1] as string).slice(0, 6)),
          `${ids[i - 1]} then ${ids[i]}`,
        );
      const rotated = await s.api("POST", `/v1/apps/${ids[0]}/rotate-secret`, { apiKey, scenario });
      assert.equal(rotated.status, 400);
      assert.equal(rotated.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(rotated.body.field, "params.clientId");
      // The list pages by client id.
      const first = await s.api("GET", "/v1/apps?limit=5", { apiKey, scenario });
      const rest = await s.api("GET", `/v1/apps?limit=5&cursor=${first.body.nextCursor}`, {
        apiKey,
        scenario,
      });
      const paged = [
        ...(first.body.apps as { clientId: string }[]),
        ...(rest.body.apps as { clientId: string }[]),
      ];
      assert.deepEqual(
        paged.map((a) => a.clientId),
        ids.toSorted(),
      );
      assert.equal(rest.body.nextCursor, null);
    });

    test("every invalid body is a 400 naming the field, and nothing is stored", async () => {
      const { tenant, apiKey } = await s.tenant();
      const scenario = "apps: validation";
      const native = { name: "n", kind: "native", redirectUris: ["http://127.0.0.1/cb"] };
      const browser = { name: "b", kind: "browser", redirectUris: ["https://spa.example/cb"] };
      const cases: [unknown, string][] = [
        [{ kind: "native" }, "body.name"],
        [{ ...native, name: "" }, "body.name"],
        [{ ...native, name: "x".repeat(101) }, "body.name"],
        [{ ...native, name: 2 ** 53 }, "body.name"],
        [{ ...native, name: "a\u0000b" }, "body.name"],
        [{ ...native, kind: "server" }, "body.kind"],
        [{ ...native, redirectUris: ["http://127.0.0.1/*"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["http://127.0.0.1/cb#frag"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["http://localhost/cb"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["http://192.168.1.1/cb"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["https://app.example/cb"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["myapp:/cb"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["javascript:alert(1)"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["http://127.0.0.1/cb", "HTTP://127.0.0.1/x"] }, "body.redirectUris.1"],
        [{ ...native, redirectUris: ["http://user:pw@127.0.0.1/cb"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: ["not a uri"] }, "body.redirectUris.0"],
        [{ ...native, redirectUris: [`http://127.0.0.1/${"a".repeat(2000)}`] }, "body.redirectUris.0"],
        [
          { ...native, redirectUris: Array.from({ length: 11 }, (_, i) => `http://127.0.0.1/${i}`) },
          "body.redirectUris",
        ],
        [{ ...native, postLogoutRedirectUris: ["https://example.com/out"] }, "body.postLogoutRedirectUris.0"],
        [{ ...browser, redirectUris: ["http://spa.example/cb"] }, "body.redirectUris.0"],
        [{ ...browser, redirectUris: ["com.example.app:/cb"] }, "body.redirectUris.0"],
        [{ ...browser, redirectUris: ["https://spa.example"] }, "body.redirectUris.0"],
        [{ ...native, grantTypes: ["authorization_code", "client_credentials"] }, "body.grantTypes"],
        [{ ...browser, grantTypes: ["urn:ietf:params:oauth:grant-type:device_code"] }, "body.grantTypes"],
        [{ ...native, grantTypes: ["refresh_token"] }, "body.grantTypes"],
        [{ ...native, grantTypes: [] }, "body.grantTypes"],
        [{ ...native, grantTypes: ["implicit"] }, "body.grantTypes.0"],
        [{ name: "c", kind: "confidential" }, "body.redirectUris"],
        [{ ...native, scopes: ["admin"] }, "body.scopes.0"],
        [{ ...native, secondFactors: ["fax"] }, "body.secondFactors.0"],
        [{ ...native, requireSecondFactor: "yes" }, "body.requireSecondFactor"],
        [{ ...native, firstParty: 1 }, "body.firstParty"],
        [{ ...native, extra: { nested: [[[]]] } }, "body.extra"],
        [{ ...native, clientSecret: "mine" }, "body.clientSecret"],
      ];
      for (const [body, field] of cases) {
        const r = await create(apiKey, body, scenario);
        assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 200)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.equal(r.body.field, field, `${JSON.stringify(body).slice(0, 200)}: ${r.body.errorMessage}`);
      }
      const rows = await s.server.ctx.database.db
        .selectFrom("sso_apps")
        .select("client_id")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.deepEqual(rows, []);
      // What the rules allow: loopback on either IP, a private-use scheme, https and dev loopback.
      const ok = [
        { ...native, redirectUris: ["http://127.0.0.1:8400/cb", "http://[::1]/cb", "com.example.app:/cb"] },
        { ...browser, redirectUris: ["https://spa.example/cb", "http://localhost:3000/cb"] },
        {
          name: "device",
          kind: "native",
          grantTypes: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        },
        {
          name: "pat",
          kind: "browser",
          grantTypes: ["urn:tessera:params:oauth:grant-type:personal-access-token"],
        },
      ];
      for (const body of ok)
        assert.equal((await create(apiKey, body, scenario)).status, 201, JSON.stringify(body));
    });

    test("a change is checked on the app as it would be stored, and a refused one changes nothing", async () => {
      const { apiKey } = await s.tenant();
      const scenario = "apps: change validation";
      const created = appOf(
        await create(
          apiKey,
          { name: "spa", kind: "browser", redirectUris: ["https://spa.example/cb"] },
          scenario,
        ),
      );
      const refusals: [unknown, string][] = [
        [{ redirectUris: [] }, "body.redirectUris"],
        [{ grantTypes: ["client_credentials"] }, "body.grantTypes"],
        [{ kind: "confidential" }, "body.kind"],
        [{}, "body"],
        [
          { name: "ok", redirectUris: ["https://spa.example/cb", "http://evil.example/cb"] },
          "body.redirectUris.1",
        ],
      ];
      for (const [body, field] of refusals) {
        const r = await s.api("PATCH", `/v1/apps/${created.clientId}`, { apiKey, scenario, body });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.field, field, r.body.errorMessage);
      }
      const after = await s.api("GET", `/v1/apps/${created.clientId}`, { apiKey, scenario });
      assert.deepEqual(appOf(after), created, "no partial write");
    });

    test("concurrent changes of different fields all hold; a burst of deletes deletes once", async () => {
      const { apiKey } = await s.tenant();
      const scenario = "apps: concurrent writes";
      const { clientId } = appOf(
        await create(
          apiKey,
          { name: "spa", kind: "browser", redirectUris: ["https://spa.example/cb"] },
          scenario,
        ),
      );
      const changes = [
        { name: "renamed" },
        { firstParty: false },
        { requireSecondFactor: true },
        { secondFactors: ["hotp"] },
        { postLogoutRedirectUris: ["https://spa.example/bye"] },
        { scopes: ["profile"] },
      ];
      const patched = await Promise.all(
        changes.map((body) => s.api("PATCH", `/v1/apps/${clientId}`, { apiKey, scenario, body })),
      );
      assert.deepEqual(
        patched.map((r) => r.status),
        changes.map(() => 200),
      );
      const merged = appOf(await s.api("GET", `/v1/apps/${clientId}`, { apiKey, scenario }));
      assert.equal(merged.name, "renamed");
      assert.equal(merged.firstParty, false);
      assert.equal(merged.requireSecondFactor, true);
      assert.deepEqual(merged.secondFactors, ["hotp"]);
      assert.deepEqual(merged.postLogoutRedirectUris, ["https://spa.example/bye"]);
      assert.deepEqual(merged.scopes, ["openid", "profile"]);
      const deletes = await Promise.all(
        Array.from({ length: 10 }, () => s.api("DELETE", `/v1/apps/${clientId}`, { apiKey, scenario })),
      );
      const statuses = deletes.map((r) => r.status);
      assert.equal(statuses.filter((status) => status === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((status) => status === 404).length, 9, JSON.stringify(statuses));
    });

    test("a native app's loopback redirect may use any port in a real authorization request; others are exact", async () => {
      const { tenant, apiKey } = await s.tenant();
      const scenario = "apps: loopback redirects";
      const native = appOf(
        await create(
          apiKey,
          { name: "cli", kind: "native", redirectUris: ["http://127.0.0.1/callback"] },
          scenario,
        ),
      );
      const browser = appOf(
        await create(
          apiKey,
          { name: "spa", kind: "browser", redirectUris: ["http://127.0.0.1:3000/callback"] },
          scenario,
        ),
      );
      const authorize = async (clientId: string, redirectUri: string) => {
        const config = await oidc.discovery(issuerOf(tenant.id), clientId, undefined, oidc.None(), insecure);
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: "openid",
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: "S256",
        });
        return fetch(url, { redirect: "manual" });
      };
      const interaction = new RegExp(`^/oidc/${tenant.id}/interaction/`);
      for (const port of [49152, 54321, 65535]) {
        const r = await authorize(native.clientId, `http://127.0.0.1:${port}/callback`);
        assert.equal(r.status, 303, `port ${port}: ${await r.text()}`);
        assert.match(new URL(r.headers.get("location") ?? "", s.url).pathname, interaction);
      }
      // The port varies; the path does not, nor the host.
      for (const uri of [
        "http://127.0.0.1:54321/other",
        "http://[::1]:54321/callback",
        "http://localhost:54321/callback",
      ]) {
        const r = await authorize(native.clientId, uri);
        // Refused on Tessera's error page: never a redirect to an unregistered address.
        assert.equal(r.status, 400, uri);
        // Refused on the provider's error page (its detail, the redirect_uri, is not shown), never sent there.
        assert.equal(r.headers.get("location"), null, uri);
        assert.match(await r.text(), /id="request-id"/);
      }
      // A browser app's loopback redirect is exact, port included.
      assert.equal((await authorize(browser.clientId, "http://127.0.0.1:3000/callback")).status, 303);
      const otherPort = await authorize(browser.clientId, "http://127.0.0.1:3001/callback");
      assert.equal(otherPort.status, 400);
    });

    test("rotate-secret: the old secret stops working at once, the new one works", async () => {
      const { tenant, apiKey } = await s.tenant();
      const scenario = "apps: rotate secret";
      const created = await create(apiKey, confidentialBody, scenario);
      const { clientId } = appOf(created);
      const oldSecret = created.body.clientSecret as string;
      const grant = async (secret: string) =>
        oidc.clientCredentialsGrant(
          await oidc.discovery(issuerOf(tenant.id), clientId, secret, undefined, insecure),
        );
      assert.ok((await grant(oldSecret)).access_token);
      const rotated = await s.api("POST", `/v1/apps/${clientId}/rotate-secret`, { apiKey, scenario });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const newSecret = rotated.body.clientSecret as string;
      assert.notEqual(newSecret, oldSecret);
      assert.equal(Buffer.from(newSecret, "base64url").length, 32);
      await assert.rejects(grant(oldSecret), (error: { error?: string }) => error.error === "invalid_client");
      assert.ok((await grant(newSecret)).access_token);
      // A retry with the same Idempotency-Key gets the same secret back, not a third one.
      const keyed = () =>
        s.api("POST", `/v1/apps/${clientId}/rotate-secret`, {
          apiKey,
          scenario,
          headers: { "idempotency-key": "rotate-1" },
        });
      const third = await keyed();
      const replayed = await keyed();
      assert.equal(replayed.headers.get("idempotent-replayed"), "true");
      assert.equal(replayed.body.clientSecret, third.body.clientSecret);
      assert.ok((await grant(third.body.clientSecret as string)).access_token);
      await assert.rejects(grant(newSecret), (error: { error?: string }) => error.error === "invalid_client");
    });

    test("deleting an app revokes what it was issued: its stored tokens are gone and it cannot authenticate", async () => {
      const { tenant, apiKey } = await s.tenant();
      const scenario = "apps: delete revokes";
      const doomed = await create(apiKey, confidentialBody, scenario);
      const configOf = (r: typeof doomed) =>
        oidc.discovery(
          issuerOf(tenant.id),
          appOf(r).clientId,
          r.body.clientSecret as string,
          undefined,
          insecure,
        );
      const token = (await oidc.clientCredentialsGrant(await configOf(doomed))).access_token;
      // An app introspects only its own tokens (sso/provider/token-policies.ts).
      assert.equal((await oidc.tokenIntrospection(await configOf(doomed), token)).active, true);
      const db = s.server.ctx.database.db;
      const issued = () =>
        db
          .selectFrom("sso_models")
          .select("id_hash")
          .where("client_id", "=", appOf(doomed).clientId)
          .execute();
      assert.ok((await issued()).length > 0);
      assert.equal(
        (await s.api("DELETE", `/v1/apps/${appOf(doomed).clientId}`, { apiKey, scenario })).status,
        200,
      );
      assert.deepEqual(await issued(), []);
      await assert.rejects(
        configOf(doomed).then(oidc.clientCredentialsGrant),
        (e: { error?: string }) => e.error === "invalid_client",
      );
    });

    test("another tenant's app is NotFound for every route and invalid_client at this tenant's token endpoint", async () => {
      const owner = await s.tenant();
      const other = await s.tenant();
      const scenario = "apps: cross-tenant";
      const created = await create(owner.apiKey, confidentialBody, scenario);
      const { clientId } = appOf(created);
      const secret = created.body.clientSecret as string;
      for (const [method, path, body] of [
        ["GET", `/v1/apps/${clientId}`, undefined],
        ["PATCH", `/v1/apps/${clientId}`, { name: "stolen" }],
        ["POST", `/v1/apps/${clientId}/rotate-secret`, undefined],
        ["DELETE", `/v1/apps/${clientId}`, undefined],
      ] as const) {
        const r = await s.api(method, path, {
          apiKey: other.apiKey,
          scenario,
          ...(body === undefined ? {} : { body }),
        });
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.equal(r.body.errorCode, TesseraApiCode.NotFound);
      }
      assert.deepEqual((await s.api("GET", "/v1/apps", { apiKey: other.apiKey, scenario })).body.apps, []);
      const unchanged = await s.api("GET", `/v1/apps/${clientId}`, { apiKey: owner.apiKey, scenario });
      assert.equal(appOf(unchanged).name, confidentialBody.name);
      // The owner's secret still works at the owner's issuer (rotate-secret from the other tenant did nothing) …
      const ownConfig = await oidc.discovery(
        issuerOf(owner.tenant.id),
        clientId,
        secret,
        undefined,
        insecure,
      );
      assert.ok((await oidc.clientCredentialsGrant(ownConfig)).access_token);
      // … and the client is unknown at the other tenant's issuer.
      const foreign = await oidc.discovery(issuerOf(other.tenant.id), clientId, secret, undefined, insecure);
      await assert.rejects(
        oidc.clientCredentialsGrant(foreign),
        (e: { error?: string }) => e.error === "invalid_client",
      );
    });

    test("only an admin key manages apps", async () => {
      const { tenant } = await s.tenant();
      const { createApiKey } = await import("../src/tenants/api-keys.ts");
      const { apiKey } = await createApiKey(
        s.server.ctx.database.db,
        tenant.id,
        "users only",
        ["users"],
        s.clock.now(),
      );
      const r = await s.api("GET", "/v1/apps", { apiKey, scenario: "apps: scope" });
      assert.equal(r.status, 403);
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserLoginFailedNotAdmin);
    });

    test("an Idempotency-Key replays the first registration, secret included, and stores one app", async () => {
      const { tenant, apiKey } = await s.tenant();
      const scenario = "apps: idempotent create";
      const post = () =>
        s.api("POST", "/v1/apps", {
          apiKey,
          scenario,
          body: confidentialBody,
          headers: { "idempotency-key": "app-1" },
        });
      const first = await post();
      const second = await post();
      assert.equal(second.status, 201);
      assert.equal(second.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(second.body, first.body);
      const rows = await s.server.ctx.database.db
        .selectFrom("sso_apps")
        .select("client_id")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.equal(rows.length, 1);
    });

    test("a tenant's apps are capped (sso.maxAppsPerTenant): a burst at the cap registers exactly the free places", async () => {
      const owner = await s.tenant();
      const scenario = "apps: per-tenant cap";
      const cap = s.server.ctx.config.sso.maxAppsPerTenant;
      assert.equal(cap, 100, "the production default");
      const body = {
        name: "pat",
        kind: "browser",
        grantTypes: ["urn:tessera:params:oauth:grant-type:personal-access-token"],
      };
      for (let i = 0; i < cap - 5; i++)
        assert.equal((await create(owner.apiKey, body, scenario)).status, 201);
      const burst = await Promise.all(Array.from({ length: 20 }, () => create(owner.apiKey, body, scenario)));
      const statuses = burst.map((r) => r.status);
      assert.equal(statuses.filter((status) => status === 201).length, 5, JSON.stringify(statuses));
      for (const refused of burst.filter((r) => r.status !== 201)) {
        assert.equal(refused.status, 409);
        assert.equal(refused.body.errorCode, TesseraApiCode.AppLimitReached);
        assert.match(refused.body.errorMessage, /sso\.maxAppsPerTenant/);
      }
      const other = await s.tenant();
      assert.equal((await create(other.apiKey, body, scenario)).status, 201, "another tenant is not held");
      const some = appOf(burst.find((r) => r.status === 201) as (typeof burst)[number]);
      assert.equal(
        (await s.api("DELETE", `/v1/apps/${some.clientId}`, { apiKey: owner.apiKey, scenario })).status,
        200,
      );
      assert.equal((await create(owner.apiKey, body, scenario)).status, 201, "a deleted app frees its place");
      assert.equal((await create(owner.apiKey, body, scenario)).status, 409);
    });
  });
}
