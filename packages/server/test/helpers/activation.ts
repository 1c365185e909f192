import type { TestServer } from "./test-server.ts";

/** Inserts an app row for `tenantId` (apps are inserted directly until `/v1/apps` exists). */
export async function insertApp(s: TestServer, tenantId: string, clientId: string, name: string) {
  const now = s.clock.now();
  await s.server.ctx.database.db
    .insertInto("sso_apps")
    .values({
      client_id: clientId,
      tenant_id: tenantId,
      name,
      kind: "browser",
      secret_enc: null,
      redirect_uris: JSON.stringify(["https://app.example.test/cb"]),
      post_logout_redirect_uris: "[]",
      grant_types: JSON.stringify(["authorization_code"]),
      scopes: "openid",
      second_factors: JSON.stringify(["totp"]),
      require_second_factor: 1,
      first_party: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** Posts the activation form as a browser does (urlencoded); the answer's status and HTML. */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The base32 key the TOTP step shows. */
export const shownSecret = (page: string): string =>
  /<code id="secret">([A-Z2-7]+)<\/code>/.exec(page)?.[1] ?? "";
