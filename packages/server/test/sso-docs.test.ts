import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

/** docs/sso.md says what integrators trip over: offline_access, app assignment, the issuer's id. */
const sso = readFileSync(new URL("../../../docs/sso.md", import.meta.url), "utf8");
const section = (title: string) => {
  const from = sso.indexOf(`\n## ${title}\n`);
  assert.ok(from >= 0, `docs/sso.md has ## ${title}`);
  const next = sso.indexOf("\n## ", from + 1);
  return sso.slice(from, next === -1 ? undefined : next).replaceAll(/\s+/g, " ");
};

test("Apps and Grants say offline_access needs prompt=consent, with the request a native app sends", () => {
  const apps = section("Apps");
  assert.match(apps, /\*\*`offline_access` \(a refresh token\) needs `prompt=consent`\.\*\*/);
  assert.match(apps, /scope=openid%20offline_access[^ ]*&prompt=consent/);
  assert.match(apps, /code_challenge_method=S256/);
  assert.match(section("Grants"), /offline_access`[^.]*only together with `prompt=consent`/);
});

test("Account activation says app assignment is informational and gating is not built", () => {
  const activation = section("Account activation");
  assert.match(activation, /informational/);
  assert.match(activation, /does \*\*not\*\* gate sign-in/);
  assert.match(activation, /Gating sign-in by assignment is not built/);
});

test("Issuers say the issuer uses the tenant id, not its name", () => {
  assert.match(section("Issuers"), /tenant's \*\*id\*\*, never its name: `\/oidc\/<tenant name>` is 404/);
});
