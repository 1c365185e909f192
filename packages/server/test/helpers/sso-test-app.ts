import { DEVICE_GRANT_TYPE } from "../../src/sso/apps/app.ts";
import { insertApp } from "../../src/sso/apps/app-store.ts";
import type { TestServer } from "./test-server.ts";

/**
 * A public app of `tenantId` written straight into sso_apps (the pages' tests need an app, not
 * the app API): authorization code with PKCE to a loopback redirect, and the device flow.
 */
export async function insertPublicTestApp(
  s: TestServer,
  tenantId: string,
  options: { name?: string; redirectUri?: string; postLogoutRedirectUri?: string; firstParty?: boolean } = {},
): Promise<string> {
  const clientId = `app-${tenantId.slice(0, 8)}-${Math.random().toString(36).slice(2, 8)}`;
  const now = s.clock.now();
  await insertApp(s.server.ctx, {
    client_id: clientId,
    tenant_id: tenantId,
    name: options.name ?? "Field notes",
    kind: "native",
    secret_enc: null,
    redirect_uris: JSON.stringify([options.redirectUri ?? "http://127.0.0.1/callback"]),
    post_logout_redirect_uris: JSON.stringify(
      options.postLogoutRedirectUri === undefined ? [] : [options.postLogoutRedirectUri],
    ),
    grant_types: JSON.stringify(["authorization_code", "refresh_token", DEVICE_GRANT_TYPE]),
    scopes: "openid profile offline_access",
    second_factors: JSON.stringify(["totp"]),
    require_second_factor: 0,
    first_party: options.firstParty === false ? 0 : 1,
    created_at: now,
    updated_at: now,
  });
  return clientId;
}
