import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { basicAuth, clientCredentials, insertAppRow } from "./helpers/sso-app-row.ts";
import { auditedWith, createTestApp, redeem, ssoSignIn } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The provider mount under attack (issue #12 review, findings 4, 7, 9, 10): the user-code limit
 * holds for every spelling of the path oidc-provider routes, an app sees and revokes only its own
 * tokens, nothing thrown inside a provider reaches the client as Koa's bare 500, and every HTML
 * answer carries the strict headers.
 */
const form = "application/x-www-form-urlencoded";
const jsonOf = async (r: Response) => (await r.json()) as Record<string, unknown>;

for (const backend of backends) {
  suite(`SSO provider hardening (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
      // A provider middleware that throws for one path, as a bug past oidc-provider's own error
      // handlers would (its session middleware did, finding 9): the outermost handler must catch it.
      s.server.ctx.sso.onCreate((provider) =>
        provider.use(async (koa, next) => {
          if (koa.path === "/test-throws") throw new Error("secret detail 12345");
          if (koa.path === "/test-throws-4xx") koa.throw(413, "secret detail 12345");
          await next();
        }),
      );
    });
    after(() => s.close());

    const issuer = async () => {
      const { tenant, apiKey } = await s.tenant();
      return { tenantId: tenant.id, apiKey, url: `${s.url}/oidc/${tenant.id}` };
    };

    test("/device, /DEVICE, /device/ and /Device/ count against one limit: 30 concurrent posts, 10 refused", async () => {
      const { url } = await issuer();
      const paths = ["/device", "/DEVICE", "/device/", "/Device/", "/dEvIcE"];
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          fetch(`${url}${paths[i % paths.length]}`, {
            method: "POST",
            headers: { "content-type": form, accept: "text/html" },
            body: "user_code=BCDF-GHJK&xsrf=x",
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((c) => c === 429).length, 10, statuses.join());
      for (const a of answers) {
        assert.ok(Number(a.status === 429 ? a.headers.get("retry-after") : 1) > 0);
        assert.match(a.headers.get("content-type") ?? "", /text\/html/);
        await a.text();
      }
      for (const path of paths) {
        const more = await fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": form },
          body: "",
        });
        assert.equal(more.status, 429, path);
        assert.equal((await jsonOf(more)).errorCode, TesseraApiCode.RateLimited);
      }
    });

    test("a post to the user-code page without the provider's session is refused with 400, audited, never a 500", async () => {
      const { url, apiKey } = await issuer();
      const page = await fetch(`${url}/device`, {
        method: "POST",
        headers: { "content-type": form, accept: "text/html", "accept-language": "de" },
        body: "user_code=BCDF-GHJK&xsrf=x",
      });
      const html = await page.text();
      assert.equal(page.status, 400);
      assert.match(html, /<html lang="de">/);
      const requestId = page.headers.get("x-request-id") ?? "";
      assert.ok(requestId !== "" && html.includes(requestId));
      assert.equal(page.headers.get("x-frame-options"), "DENY");
      const json = await fetch(`${url}/device/`, {
        method: "POST",
        headers: { "content-type": form },
        body: "",
      });
      const body = await jsonOf(json);
      assert.equal(json.status, 400);
      assert.equal(body.error, "invalid_request");
      assert.equal(body.errorCode, TesseraApiCode.MalformedRequest);
      const events = await auditedWith(
        s,
        apiKey,
        TesseraApiCode.MalformedRequest,
        "sso: user-code post without session",
      );
      assert.ok(events.length >= 2);
    });

    test("an app introspects and revokes only its own tokens; another app's is inactive and stays valid", async () => {
      const { tenantId, url } = await issuer();
      const a = `app-a-${tenantId.slice(0, 8)}`;
      const b = `app-b-${tenantId.slice(0, 8)}`;
      await insertAppRow(s.server.ctx, tenantId, a);
      await insertAppRow(s.server.ctx, tenantId, b);
      const granted = await clientCredentials(url, b);
      const { access_token: token } = (await granted.json()) as { access_token: string };
      const call = (endpoint: string, clientId: string) =>
        fetch(`${url}/token/${endpoint}`, {
          method: "POST",
          headers: { authorization: basicAuth(clientId), "content-type": form },
          body: `token=${token}`,
        });
      // oidc-provider prints a notice when its default policy (any confidential app may
      // introspect any token) is used; with Tessera's policy it has nothing to say.
      const notices: string[] = [];
      const info = console.info;
      console.info = (...args: unknown[]) => notices.push(args.join(" "));
      const foreign = await call("introspection", a).finally(() => {
        console.info = info;
      });
      assert.deepEqual(
        notices.filter((n) => /allowedPolicy/.test(n)),
        [],
      );
      assert.equal(foreign.status, 200);
      assert.deepEqual(await foreign.json(), { active: false });
      console.info = (...args: unknown[]) => notices.push(args.join(" "));
      const refused = await call("revocation", a).finally(() => {
        console.info = info;
      });
      assert.deepEqual(
        notices.filter((n) => /allowedPolicy/.test(n)),
        [],
      );
      assert.equal(refused.status, 400);
      assert.equal((await jsonOf(refused)).error, "invalid_request");
      const own = await call("introspection", b);
      assert.equal((await jsonOf(own)).active, true, "app A's attempt revoked nothing");
      assert.equal((await call("revocation", b)).status, 200);
      assert.deepEqual(await (await call("introspection", b)).json(), { active: false });
    });

    test("a user's token from signing in to one app is inactive at another confidential app's introspection", async () => {
      const { tenant, apiKey } = await s.tenant(undefined, { ssoSecondFactor: "optional" });
      const password = "a long enough password";
      const user = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "ivy", password },
        scenario: "sso hardening: setup",
      });
      assert.equal(user.status, 201);
      const b = await createTestApp(s, tenant.id, { confidential: true });
      const a = await createTestApp(s, tenant.id, { confidential: true, grantTypes: ["client_credentials"] });
      const signedIn = await ssoSignIn({
        baseUrl: s.url,
        tenantId: tenant.id,
        clientId: b.clientId,
        clientSecret: b.clientSecret,
        redirectUri: b.redirectUri,
        username: "ivy",
        password,
      });
      const { access_token: token } = await redeem(signedIn);
      const introspect = (app: typeof a) =>
        fetch(`${s.url}/oidc/${tenant.id}/token/introspection`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString("base64")}`,
            "content-type": form,
          },
          body: `token=${token}`,
        }).then(jsonOf);
      assert.deepEqual(await introspect(a), { active: false });
      const own = await introspect(b);
      assert.equal(own.active, true);
      assert.equal(own.client_id, b.clientId);
    });

    test("an error thrown past oidc-provider's handlers: SSOInternalError with the request id as JSON or page, audited", async () => {
      const { url, apiKey } = await issuer();
      const json = await fetch(`${url}/test-throws`, { method: "POST", body: "x" });
      const body = await jsonOf(json);
      assert.equal(json.status, 500);
      assert.equal(body.errorCode, ApiReturnCode.SSOInternalError);
      assert.equal(body.errorName, "SSOInternalError");
      assert.equal(body.error, "server_error");
      const requestId = json.headers.get("x-request-id") ?? "";
      assert.equal(body.requestId, requestId);
      assert.doesNotMatch(JSON.stringify(body), /secret detail|12345/);
      recordObservedCode("api", body.errorCode, "sso: thrown past the provider's handlers");
      const page = await fetch(`${url}/test-throws?ui_locales=es`, { headers: { accept: "text/html" } });
      const html = await page.text();
      assert.equal(page.status, 500);
      assert.match(html, /<html lang="es">/);
      assert.ok(html.includes(page.headers.get("x-request-id") ?? "-"));
      assert.doesNotMatch(html, /secret detail|12345/);
      assert.equal(page.headers.get("x-frame-options"), "DENY");
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOInternalError,
        "sso: thrown past the provider",
      );
      assert.equal(events.length, 2);
      // An HTTP client error thrown there keeps its status, in the same shape; no fault is logged.
      const tooLarge = await fetch(`${url}/test-throws-4xx`, { method: "POST", body: "x" });
      const refused = await jsonOf(tooLarge);
      assert.equal(tooLarge.status, 413);
      assert.equal(refused.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(refused.error, "invalid_request");
      assert.doesNotMatch(JSON.stringify(refused), /secret detail|12345/);
    });

    test("fuzz: every path and method of the provider with odd bodies: no bare 500, no text/plain", async () => {
      const { url } = await issuer();
      const paths = [
        "/device",
        "/DEVICE/",
        "/device/x",
        "/token",
        "/token/introspection",
        "/token/revocation",
        "/auth",
        "/session/end",
        "/session/end/confirm",
        "/me",
        "/jwks",
        "/.well-known/openid-configuration",
        "/device/auth",
        "/reg",
        "/nope",
        "/interaction/x",
        "/",
      ];
      const bodies: [string, string][] = [
        ["", ""],
        [form, "user_code=%ZZ&xsrf="],
        [form, "a=1&a=2&user_code=x&user_code=y"],
        ["application/json", '{"a":'],
        ["text/plain", "x".repeat(70_000)],
        [form, "grant_type=client_credentials&client_id=a%00b&client_secret=x"],
        [form, `ui_locales=${"en-".repeat(3000)}`],
      ];
      for (const path of paths)
        for (const method of ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"])
          for (const [type, body] of method === "GET" || method === "HEAD"
            ? [["", ""] as [string, string]]
            : bodies) {
            s.clock.advance(60_000); // the user-code limit is not what this looks at
            const r = await fetch(`${url}${path}`, {
              method,
              headers: {
                ...(type === "" ? {} : { "content-type": type }),
                accept: method === "PUT" ? "text/html" : "*/*",
              },
              ...(body === "" ? {} : { body }),
            });
            const text = await r.text();
            const where = `${method} ${path} ${type} ${body.slice(0, 40)} -> ${r.status} ${text.slice(0, 120)}`;
            assert.doesNotMatch(r.headers.get("content-type") ?? "", /text\/plain/, where);
            if (r.status >= 500)
              assert.ok(text.includes(r.headers.get("x-request-id") ?? "-") || method === "HEAD", where);
          }
    });

    test("every HTML answer of the provider, its own form_post page too, has the strict headers", async () => {
      const { url } = await issuer();
      for (const path of [
        "/device",
        "/device?user_code=BCDF-GHJK",
        "/DEVICE/?user_code=BCDF-GHJK",
        "/session/end",
        "/session/end/",
        "/SESSION/END",
        "/auth?client_id=nope",
        "/nope",
      ]) {
        const r = await fetch(`${url}${path}`, { headers: { accept: "text/html" }, redirect: "manual" });
        await r.text();
        if (!/text\/html/.test(r.headers.get("content-type") ?? "")) continue;
        assert.equal(r.headers.get("x-frame-options"), "DENY", path);
        assert.equal(r.headers.get("x-content-type-options"), "nosniff", path);
        assert.equal(r.headers.get("cache-control"), "no-store", path);
        assert.match(r.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, path);
      }
    });
  });
}
