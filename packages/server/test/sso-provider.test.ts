import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { secretSealedAs } from "../src/sso/apps/app-store.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The provider mounted in the server: discovery and a client-credentials grant through
 * openid-client, the relying-party library integrators use. (Apps are inserted directly until
 * `/v1/apps` exists.)
 */
for (const backend of backends) {
  suite(`OpenID Connect provider (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    test("discovery names the tenant's issuer; a client-credentials token is issued and introspected", async () => {
      const { tenant } = await s.tenant();
      const now = s.clock.now();
      const clientId = `app-${tenant.id.slice(0, 8)}`;
      await s.server.ctx.database.db
        .insertInto("sso_apps")
        .values({
          client_id: clientId,
          tenant_id: tenant.id,
          name: "Back office",
          kind: "confidential",
          secret_enc: s.server.ctx.keys.encrypt("s3cret-s3cret-s3cret", secretSealedAs(clientId)),
          redirect_uris: "[]",
          post_logout_redirect_uris: "[]",
          grant_types: JSON.stringify(["client_credentials"]),
          scopes: "openid",
          second_factors: "[]",
          require_second_factor: 0,
          first_party: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const issuer = new URL(`/oidc/${tenant.id}`, s.url);
      const config = await oidc.discovery(issuer, clientId, "s3cret-s3cret-s3cret", undefined, {
        execute: [oidc.allowInsecureRequests],
      });
      assert.equal(config.serverMetadata().issuer, issuer.href);
      const tokens = await oidc.clientCredentialsGrant(config);
      assert.equal(tokens.token_type.toLowerCase(), "bearer");
      const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, clientId);
    });
  });
}
