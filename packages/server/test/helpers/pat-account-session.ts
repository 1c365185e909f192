import assert from "node:assert/strict";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { ACCOUNT_CLIENT_ID } from "../../src/sso/tokens/account-client.ts";
import type { TestServer } from "./test-server.ts";

/** The cookies a browser would keep for the issuer (paths are all under /oidc/<tenant>). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();
  absorb(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/** A request as a browser sends it: the jar's cookies, no redirects followed. */
export async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cookie", jar.header());
  const response = await fetch(url, { ...init, headers, redirect: "manual" });
  jar.absorb(response);
  return response;
}

/**
 * Signs `userId` in to the tenant's issuer in `jar`, the way the sign-in pages end an interaction
 * (login and, for the first-party account client, its grant), starting from the tokens page as a
 * signed-out browser would. It stands in for the sign-in pages of part B (sso/interactions/) on
 * this branch: everything but the finishing of the interaction is the real HTTP flow.
 */
export async function signInToAccount(s: TestServer, tenantId: string, userId: string, jar: CookieJar) {
  const page = await browse(jar, `${s.url}/oidc/${tenantId}/account/tokens`);
  assert.equal(page.status, 303, "a signed-out visitor is sent to sign in");
  const authorization = await browse(jar, page.headers.get("location") as string);
  assert.equal(authorization.status, 303, await authorization.text());
  const interaction = new URL(authorization.headers.get("location") as string, s.url);
  assert.match(interaction.pathname, new RegExp(`^/oidc/${tenantId}/interaction/`));

  const provider = await s.server.ctx.sso.providerFor(tenantId);
  const grant = new provider.Grant({ accountId: userId, clientId: ACCOUNT_CLIENT_ID });
  grant.addOIDCScope("openid");
  const grantId = await grant.save();
  const req = new IncomingMessage(new Socket());
  Object.assign(req, { method: "GET", url: interaction.pathname, headers: { cookie: jar.header() } });
  const returnTo = await provider.interactionResult(
    req,
    new ServerResponse(req),
    { login: { accountId: userId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
  const resumed = await browse(jar, returnTo);
  assert.equal(resumed.status, 303, await resumed.text());
  const callback = resumed.headers.get("location") as string;
  assert.ok(callback.startsWith(`${s.url}/oidc/${tenantId}/account/signed-in?code=`), callback);
  const back = await browse(jar, callback);
  assert.equal(back.status, 303);
  assert.equal(back.headers.get("location"), `/oidc/${tenantId}/account/tokens`);
}
