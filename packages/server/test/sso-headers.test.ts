import assert from "node:assert/strict";
import { test } from "node:test";
import { pageHeaders } from "../src/pages/page-routes.ts";
import { formTargetSource, ssoPageHeaders } from "../src/sso/pages/sso-headers.ts";

/** Where an SSO page's form may lead: its own origin, plus exactly the app origins named. */

test("a page without form targets has the end-user pages' headers, but sends its origin with its own form posts", () => {
  assert.deepEqual(ssoPageHeaders(), { ...pageHeaders, "referrer-policy": "same-origin" });
});

test("the app's redirect origins join form-action 'self', nothing else of the URI does", () => {
  const csp = ssoPageHeaders([
    "http://127.0.0.1:49152/callback?x=1",
    "https://app.example/cb",
    "https://app.example/other",
    "com.example.app:/oauth",
  ])["content-security-policy"];
  assert.match(
    csp,
    /form-action 'self' http:\/\/127\.0\.0\.1:49152 https:\/\/app\.example com\.example\.app:;/,
  );
  assert.equal(
    csp.replace(/form-action [^;]*;/, ""),
    pageHeaders["content-security-policy"].replace(/form-action [^;]*;/, ""),
  );
});

test("a loopback redirect URI registered without a port is a target on any port (native apps, RFC 8252)", () => {
  assert.equal(formTargetSource("http://127.0.0.1/callback"), "http://127.0.0.1:*");
  assert.equal(formTargetSource("http://[::1]/callback"), "http://[::1]:*");
  // An explicit port stays exact, also the default one; other hosts never get a wildcard.
  assert.equal(formTargetSource("http://127.0.0.1:80/callback"), "http://127.0.0.1");
  assert.equal(formTargetSource("http://localhost/callback"), "http://localhost");
  assert.equal(formTargetSource("https://127.0.0.1/callback"), "https://127.0.0.1");
});

test("URIs that are not a place to send a form, or that try to add directives, add nothing", () => {
  for (const uri of [
    "javascript:alert(1)",
    "data:text/html,x",
    "not a url",
    "https://a.example; script-src *",
    "http://x y/",
    "",
  ]) {
    const source = formTargetSource(uri);
    assert.ok(source === undefined || /^https?:\/\/[^\s;']+$/.test(source), `${uri} -> ${source}`);
  }
  assert.equal(formTargetSource("https://a.example/;script-src *"), "https://a.example");
  assert.deepEqual(ssoPageHeaders(["javascript:alert(1)", "data:,x"]), ssoPageHeaders());
});
