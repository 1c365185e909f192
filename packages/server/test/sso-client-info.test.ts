import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import fc from "fast-check";
import * as oidc from "openid-client";
import { DEVICE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * What a program learns about its client id before anyone signs in: `<issuer>/clients/<id>`
 * (advertised in discovery) answers an app's public settings or a distinct 404, only for the
 * issuer's own tenant, within a per-source limit; the token, device authorization, revocation
 * and introspection endpoints tell an unknown client id (tessera_client_not_registered) from a
 * known one with a wrong secret (plain invalid_client).
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;
const NOT_REGISTERED = "the client id is not registered at this issuer";
const LIMIT = 120; // rateLimits.ssoClientInfoPerSource's default, stated independently

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };
async function getJson(url: string, scenario: string): Promise<Answer> {
  const response = await fetch(url);
  const body = (await response.json()) as Record<string, unknown>;
  // The endpoint is the issuer's, outside /openapi.json: its codes are recorded without the request.
  if (typeof body.errorCode === "number") recordObservedCode("api", body.errorCode, scenario);
  return { status: response.status, headers: response.headers, body };
}

async function postForm(url: string, form: Record<string, string>, authorization?: string): Promise<Answer> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: new URLSearchParams(form),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

for (const backend of backends) {
  suite(`SSO client information and unknown client ids (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const issuerOf = (tenantId: string) => `${s.url}/oidc/${tenantId}`;
    async function registered(apiKey: string, body: Record<string, unknown>) {
      const created = await s.api("POST", "/v1/apps", { apiKey, scenario: "client info: an app", body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return {
        clientId: (created.body.app as { clientId: string }).clientId,
        secret: created.body.clientSecret as string | undefined,
      };
    }

    test("discovery names the endpoint; it answers a registered app's public settings", async () => {
      const { tenant, apiKey } = await s.tenant();
      const { clientId } = await registered(apiKey, {
        name: "Desk tool",
        kind: "native",
        redirectUris: ["http://127.0.0.1/cb"],
        grantTypes: ["authorization_code", "refresh_token", DEVICE_GRANT_TYPE],
        offlineGraceHours: 24,
      });
      const discovered = await oidc.discovery(
        new URL(issuerOf(tenant.id)),
        clientId,
        undefined,
        oidc.None(),
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      const endpoint = discovered.serverMetadata().tessera_client_info_endpoint;
      assert.equal(endpoint, `${issuerOf(tenant.id)}/clients`);
      const info = await getJson(`${endpoint}/${clientId}`, "client info: registered");
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.equal(info.body.errorCode, ApiReturnCode.Success);
      assert.equal(info.headers.get("cache-control"), "no-store");
      const { errorCode, errorName, errorMessage, ...rest } = info.body;
      assert.deepEqual(rest, {
        client_id: clientId,
        client_name: "Desk tool",
        application_type: "native",
        grant_types: ["authorization_code", "refresh_token", DEVICE_GRANT_TYPE],
        offline_grace_hours: 24,
      });
      const secretApp = await registered(apiKey, {
        name: "Back office",
        kind: "confidential",
        grantTypes: ["client_credentials"],
      });
      const confidential = await getJson(`${endpoint}/${secretApp.clientId}`, "client info: registered");
      assert.equal(confidential.body.application_type, "web");
      assert.equal(confidential.body.offline_grace_hours, 72, "the default");
      assert.ok(!JSON.stringify(confidential.body).includes(String(secretApp.secret)), "never the secret");
    });

    test("an unknown id and another tenant's app are both not registered here; an unknown issuer is plain NotFound", async () => {
      const mine = await s.tenant();
      const theirs = await s.tenant();
      const { clientId } = await registered(theirs.apiKey, {
        name: "Theirs",
        kind: "native",
        redirectUris: ["http://127.0.0.1/cb"],
      });
      const scenario = "client info: not registered";
      for (const id of [clientId, "no-such-client"]) {
        const answer = await getJson(`${issuerOf(mine.tenant.id)}/clients/${id}`, scenario);
        assert.equal(answer.status, 404);
        assert.equal(answer.body.errorCode, TesseraApiCode.NotFound);
        assert.equal(answer.body.error, "invalid_client");
        assert.equal(answer.body.error_description, NOT_REGISTERED);
        assert.equal(answer.body.tessera_client_not_registered, true);
      }
      assert.equal(
        (await getJson(`${issuerOf(theirs.tenant.id)}/clients/${clientId}`, scenario)).status,
        200,
      );
      const noIssuer = await getJson(
        `${s.url}/oidc/00000000-0000-4000-8000-000000000000/clients/${clientId}`,
        scenario,
      );
      assert.equal(noIssuer.status, 404);
      assert.equal(noIssuer.body.tessera_client_not_registered, undefined);
      assert.equal(
        noIssuer.headers.get("cache-control"),
        "no-store",
        "every answer, not only the found ones",
      );
    });

    test(`a burst of ${LIMIT + 30} requests from one source: ${LIMIT} answered, the rest RateLimited with Retry-After`, async () => {
      const { tenant } = await s.tenant();
      s.clock.advance(60_000);
      const answers = await Promise.all(
        Array.from({ length: LIMIT + 30 }, () =>
          getJson(`${issuerOf(tenant.id)}/clients/burst-${tenant.id}`, "client info: burst"),
        ),
      );
      const limited = answers.filter((a) => a.status === 429);
      assert.equal(limited.length, 30, answers.map((a) => a.status).join());
      assert.equal(answers.filter((a) => a.status === 404).length, LIMIT);
      for (const a of limited) {
        assert.equal(a.body.errorCode, TesseraApiCode.RateLimited);
        assert.equal(a.headers.get("cache-control"), "no-store");
        const wait = Number(a.headers.get("retry-after"));
        assert.ok(wait >= 1 && wait <= 60, String(wait));
      }
      s.clock.advance(60_000);
      assert.equal(
        (await getJson(`${issuerOf(tenant.id)}/clients/burst`, "client info: burst")).status,
        404,
        "a new window",
      );
    });

    test("X-Forwarded-For makes no new source with the default trustedProxies (none)", async () => {
      const { tenant } = await s.tenant();
      s.clock.advance(60_000);
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) {
        const response = await fetch(`${issuerOf(tenant.id)}/clients/xff`, {
          headers: { "x-forwarded-for": `203.0.113.${i % 250}, 198.51.100.${i % 250}` },
        });
        await response.body?.cancel();
        statuses.push(response.status);
      }
      assert.equal(statuses.filter((status) => status === 404).length, LIMIT, statuses.join());
      assert.equal(statuses.at(-1), 429, "the forged addresses all counted as the one real source");
    });

    test("an id of 101 to 200 characters is not registered like a short one; a longer one is 400 naming params.clientId", async () => {
      const { tenant } = await s.tenant();
      s.clock.advance(60_000);
      // Encoded, "é" is six characters: 40 of them are a 240-character path segment for a 40-character id.
      for (const id of ["a".repeat(101), "b".repeat(200), "é".repeat(40), "a/b"]) {
        const answer = await getJson(
          `${issuerOf(tenant.id)}/clients/${encodeURIComponent(id)}`,
          "client info: not registered",
        );
        assert.equal(answer.status, 404, `${id.length}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.tessera_client_not_registered, true, JSON.stringify(answer.body));
        assert.equal(answer.headers.get("cache-control"), "no-store");
      }
      for (const path of [encodeURIComponent("c".repeat(201)), "d".repeat(5000), ""]) {
        const answer = await getJson(`${issuerOf(tenant.id)}/clients/${path}`, "client info: malformed ids");
        assert.equal(answer.status, 400, `${path.length}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.match(String(answer.body.errorMessage), /params\.clientId/);
        assert.equal(answer.headers.get("cache-control"), "no-store");
      }
    });

    test("property: any client id (huge, unicode, reserved characters) is 404 or a 400 naming it, never a 5xx", async () => {
      const { tenant } = await s.tenant();
      const id = fc.oneof(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
        fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
        fc.string({ minLength: 190, maxLength: 2000 }),
        fc.constantFrom("%", "..", ".", "%00", "%zz", "a/b", "\u0000", "ı", "💥", "?x=1", "#f"),
      );
      await fc.assert(
        fc.asyncProperty(id, async (value) => {
          s.clock.advance(60_000); // each request in a window of its own: the limit is not what is tested
          const path = `${issuerOf(tenant.id)}/clients/${encodeURIComponent(value)}`;
          const answer = await getJson(path, "client info: malformed ids");
          assert.ok(
            answer.status === 404 || answer.status === 400,
            `${answer.status} ${JSON.stringify(answer.body)}`,
          );
          if (answer.status === 400) assert.match(String(answer.body.errorMessage), /clientId/);
        }),
        { numRuns: 150, seed },
      );
    });

    test("token, device authorization, revocation, introspection: an unknown id is tessera_client_not_registered, a wrong secret plain invalid_client", async () => {
      const { tenant, apiKey } = await s.tenant();
      const issuer = issuerOf(tenant.id);
      const known = await registered(apiKey, {
        name: "Service",
        kind: "confidential",
        grantTypes: ["client_credentials", DEVICE_GRANT_TYPE],
      });
      const other = await s.tenant();
      const foreign = await registered(other.apiKey, {
        name: "Foreign",
        kind: "confidential",
        grantTypes: ["client_credentials"],
      });
      const endpoints: [string, Record<string, string>][] = [
        ["/token", { grant_type: "client_credentials" }],
        ["/device/auth", { scope: "openid" }],
        ["/token/revocation", { token: "x" }],
        ["/token/introspection", { token: "x" }],
      ];
      for (const [path, form] of endpoints) {
        for (const [id, secret] of [
          ["no-such-client", "whatever"],
          [foreign.clientId, String(foreign.secret)],
        ] as const) {
          const unknown = await postForm(`${issuer}${path}`, form, basic(id, secret));
          assert.equal(unknown.status, 401, `${path}: ${JSON.stringify(unknown.body)}`);
          assert.deepEqual(
            {
              error: unknown.body.error,
              error_description: unknown.body.error_description,
              flag: unknown.body.tessera_client_not_registered,
            },
            { error: "invalid_client", error_description: NOT_REGISTERED, flag: true },
            path,
          );
          const publicUnknown = await postForm(`${issuer}${path}`, { ...form, client_id: id });
          assert.equal(publicUnknown.body.tessera_client_not_registered, true, `${path} with client_id only`);
        }
        const wrong = await postForm(`${issuer}${path}`, form, basic(known.clientId, "not-the-secret"));
        assert.equal(wrong.status, 401, path);
        assert.equal(wrong.body.error, "invalid_client");
        assert.equal(wrong.body.tessera_client_not_registered, undefined, path);
        assert.notEqual(wrong.body.error_description, NOT_REGISTERED, path);
      }

      // Through openid-client as a program would see it: a public client sends its id alone...
      const discover = (id: string, auth: oidc.ClientAuth) =>
        oidc.discovery(new URL(issuer), id, undefined, auth, { execute: [oidc.allowInsecureRequests] });
      await assert.rejects(
        oidc.clientCredentialsGrant(await discover("no-such-client", oidc.None())),
        (error) => {
          assert.ok(error instanceof oidc.ResponseBodyError, String(error));
          assert.equal(error.error, "invalid_client");
          assert.equal(error.cause.tessera_client_not_registered, true);
          return true;
        },
      );
      // ...a confidential one gets a Basic challenge (WWW-Authenticate) with the same body.
      const withSecret = await discover("no-such-client", oidc.ClientSecretBasic("x"));
      const challenged = await oidc.clientCredentialsGrant(withSecret).then(
        () => assert.fail("an unknown client got tokens"),
        (error: unknown) => error,
      );
      assert.ok(challenged instanceof oidc.WWWAuthenticateChallengeError, String(challenged));
      const body = (await challenged.response.json()) as Record<string, unknown>;
      assert.equal(body.tessera_client_not_registered, true);
      const good = await oidc.discovery(
        new URL(issuer),
        known.clientId,
        undefined,
        oidc.ClientSecretBasic(String(known.secret)),
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      assert.ok(
        (await oidc.clientCredentialsGrant(good)).access_token,
        "the known app with its secret still works",
      );
    });
  });
}
