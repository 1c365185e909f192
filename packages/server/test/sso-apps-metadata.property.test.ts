import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import fc from "fast-check";
import type { AppSettings } from "../src/sso/apps/app.ts";
import { appGrantTypes, appKinds, PAT_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { appScopes } from "../src/sso/apps/app-input.ts";
import { appProblems, normalScopes } from "../src/sso/apps/app-rules.ts";
import { type AppRow, clientMetadataOf, secretSealedAs } from "../src/sso/apps/app-store.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Every app Tessera's rules accept is a client oidc-provider accepts too: otherwise an app would
 * register fine and then fail at its first request (oidc-provider checks client metadata when it
 * loads a client). The personal-access-token grant is left out until its grant type is
 * registered with the provider (sso/tokens/); the provider refuses grant types it does not know.
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;
/** URIs the rules accept, by kind, and a few they refuse, so both sides are drawn. */
const nativeUris = [
  "http://127.0.0.1/cb",
  "http://127.0.0.1:8080/cb",
  "http://[::1]/cb",
  "com.example.app:/cb",
];
const webUris = [
  "https://app.example/cb",
  "http://localhost:3000/cb",
  "https://app.example/cb?x=1",
  "http://[::1]:8443/",
];
const refused = ["http://app.example/cb", "myapp:/cb"];
const settings = fc.constantFrom(...appKinds).chain((kind) => {
  const uri = fc.constantFrom(...(kind === "native" ? nativeUris : webUris), ...refused);
  return fc.record({
    kind: fc.constant(kind),
    name: fc.constant("App"),
    redirectUris: fc.uniqueArray(uri, { minLength: 1, maxLength: 3 }),
    postLogoutRedirectUris: fc.uniqueArray(uri, { maxLength: 2 }),
    grantTypes: fc.uniqueArray(fc.constantFrom(...appGrantTypes.filter((g) => g !== PAT_GRANT_TYPE)), {
      minLength: 1,
    }),
    scopes: fc.uniqueArray(fc.constantFrom(...appScopes)),
    secondFactors: fc.constant([]),
    requireSecondFactor: fc.boolean(),
    firstParty: fc.boolean(),
    offlineGraceHours: fc.integer({ min: 0, max: 720 }),
  });
});

for (const backend of backends) {
  suite(`Apps the rules accept are clients oidc-provider accepts (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    before(async () => {
      s = await startTestServer(backend);
      tenantId = (await s.tenant()).tenant.id;
    });
    after(() => s.close());

    test("accepted settings make valid client metadata", async () => {
      const provider = await s.server.ctx.sso.providerFor(tenantId);
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(settings, async (app: AppSettings) => {
          if (appProblems(app, (name) => name).length > 0) return;
          accepted += 1;
          const row: AppRow = {
            client_id: "property-client",
            tenant_id: tenantId,
            name: app.name,
            kind: app.kind,
            secret_enc:
              app.kind === "confidential"
                ? s.server.ctx.keys.encrypt("x".repeat(43), secretSealedAs("property-client"))
                : null,
            redirect_uris: JSON.stringify(app.redirectUris),
            post_logout_redirect_uris: JSON.stringify(app.postLogoutRedirectUris),
            grant_types: JSON.stringify(app.grantTypes),
            scopes: normalScopes(app.scopes).join(" "),
            second_factors: "[]",
            require_second_factor: 0,
            first_party: 1,
            created_at: 0,
            updated_at: 0,
            offline_grace_hours: app.offlineGraceHours,
            webauthn_origins: "[]",
          };
          await provider.Client.validate(clientMetadataOf(s.server.ctx, row));
        }),
        { numRuns: 600, seed },
      );
      assert.ok(accepted > 50, `${accepted} accepted apps were checked`);
    });
  });
}
