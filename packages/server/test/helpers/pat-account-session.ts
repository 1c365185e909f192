import assert from "node:assert/strict";
import { ACCOUNT_CLIENT_ID } from "../../src/sso/tokens/account-client.ts";
import { Browser, fill, type Page } from "./sso-sign-in.ts";
import type { TestServer } from "./test-server.ts";

/**
 * A browser signed in to the tenant's issuer the way a person gets there: it opens the tokens
 * page signed out, is sent through the account client's authorization request to the sign-in
 * pages, fills them (password, then the second factor `otp` gives), and lands back on the page.
 */
export async function signInToAccount(
  s: TestServer,
  tenantId: string,
  credentials: { username: string; password: string; otp: () => string },
  browser = new Browser(),
): Promise<Browser> {
  const signedIn = new URL(`/oidc/${tenantId}/account/signed-in`, s.server.ctx.publicUrl).href;
  const options = {
    baseUrl: s.url,
    tenantId,
    clientId: ACCOUNT_CLIENT_ID,
    redirectUri: signedIn,
    ...credentials,
  };
  let at: Page | { callback: URL } = await browser.follow(
    new URL(`/oidc/${tenantId}/account/tokens`, s.url),
    signedIn,
  );
  for (let steps = 0; !("callback" in at); steps += 1) {
    assert.ok(steps < 6, `the sign-in did not end at ${at.url.pathname} (${at.status})`);
    const { form, fields } = fill(at, options);
    at = await browser.follow(form.action, signedIn, { method: "POST", form: fields });
  }
  const back = await browser.request(at.callback);
  assert.equal(back.status, 303);
  assert.equal(back.headers.get("location"), `/oidc/${tenantId}/account/tokens`);
  return browser;
}
