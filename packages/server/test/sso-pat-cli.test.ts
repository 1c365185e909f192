import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { PAT_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";

/**
 * `tessera user pat create|list|revoke`: what the API does for a user's personal access tokens,
 * from the shell; the token once on stdout (warning on stderr), exchangeable at the server, and
 * refused there once revoked.
 */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-pat-cli-"));
const cli = (args: string[]) => runCli(["--data-dir", dataDir, ...args], { scenario: "pats: cli" });
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
type PatJson = { id: string; clientId: string; state: string; createdAt: string; expiresAt: string };
let tenantId = "";
let clientId = "";
let server: ServerProcess | undefined;

before(async () => {
  const created = await cli(["tenant", "create", "acme", "--json"]);
  tenantId = (JSON.parse(created.stdout) as { tenant: { id: string } }).tenant.id;
  assert.equal((await cli(["tenant", "create", "globex"])).status, 0);
  const app = await cli([
    ...["app", "create", "--tenant", "acme", "--name", "Build", "--kind", "native"],
    ...["--grant-type", PAT_GRANT_TYPE, "--json"],
  ]);
  assert.equal(app.status, 0, app.stderr);
  clientId = (JSON.parse(app.stdout) as { app: { clientId: string } }).app.clientId;
  for (const tenant of ["acme", "globex"])
    assert.equal((await cli(["user", "create", "ann", "--tenant", tenant])).status, 0);
});
after(async () => {
  await server?.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const exchange = async (token: string) =>
  fetch(`${server?.url}/oidc/${tenantId}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: PAT_GRANT_TYPE,
      personal_access_token: token,
      client_id: clientId,
    }),
  });

test("create shows the token once (stdout, warning on stderr), list never; revoke ends it at the server", async () => {
  const made = await cli([
    ...["user", "pat", "create", "ann", "--tenant", "acme", "--app", clientId],
    ...["--name", "build server", "--expires-in-days", "30", "--json"],
  ]);
  assert.equal(made.status, 0, made.stderr);
  const { token, personalAccessToken: pat } = JSON.parse(made.stdout) as {
    token: string;
    personalAccessToken: PatJson;
  };
  assert.match(token, /^tpat_/);
  assert.match(made.stderr, /shown this once/);
  assert.ok(!made.stderr.includes(token));
  assert.equal(pat.state, "live");
  assert.match(pat.createdAt, RFC3339);
  assert.match(pat.expiresAt, RFC3339);

  const listed = await cli(["user", "pat", "list", "ann", "--tenant", "acme", "--json"]);
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as { personalAccessTokens: PatJson[] }).personalAccessTokens, [
    pat,
  ]);
  assert.ok(!listed.stdout.includes(token));
  const text = await cli(["user", "pat", "list", "ann", "--tenant", "acme"]);
  assert.match(text.stdout, new RegExp(`${pat.id}\\s+${clientId}\\s+build server\\s+live`));
  const other = await cli(["user", "pat", "list", "ann", "--tenant", "globex", "--json"]);
  assert.deepEqual(JSON.parse(other.stdout), { personalAccessTokens: [] });

  server = await startServerProcess(["--data-dir", dataDir]);
  const live = await exchange(token);
  assert.equal(live.status, 200, await live.clone().text());
  const accessToken = ((await live.json()) as { access_token?: string }).access_token ?? "";
  assert.ok(accessToken);
  const userinfo = () =>
    fetch(`${server?.url}/oidc/${tenantId}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  assert.equal((await userinfo()).status, 200);

  // Another tenant's user of the same name does not own the token.
  const foreign = await cli(["user", "pat", "revoke", "ann", pat.id, "--tenant", "globex", "--json"]);
  assert.equal(foreign.status, 1);
  assert.equal(JSON.parse(foreign.stdout).errorCode, TesseraApiCode.NotFound);
  const revoked = await cli(["user", "pat", "revoke", "ann", pat.id, "--tenant", "acme", "--json"]);
  assert.equal(revoked.status, 0, revoked.stderr);
  const after1 = (JSON.parse(revoked.stdout) as { personalAccessToken: PatJson & { revokedAt: string } })
    .personalAccessToken;
  assert.equal(after1.state, "revoked");
  assert.match(after1.revokedAt, RFC3339);
  const again = await cli(["user", "pat", "revoke", "ann", pat.id, "--tenant", "acme", "--json"]);
  assert.deepEqual(
    JSON.parse(again.stdout),
    JSON.parse(revoked.stdout),
    "a repeat keeps the first revocation",
  );
  const refused = await exchange(token);
  assert.equal(refused.status, 400);
  assert.equal(((await refused.json()) as { error: string }).error, "invalid_grant");
  // As through the API: what the token was exchanged for ends with it.
  assert.equal((await userinfo()).status, 401);
});

test("bad input is refused naming the flag, and nothing is created", async () => {
  const base = ["user", "pat", "create", "ann", "--tenant", "acme", "--name", "n", "--json"];
  const cases: [string[], number, RegExp][] = [
    [["--app", clientId, "--expires-in-days", "0"], TesseraApiCode.MalformedRequest, /--expires-in-days/],
    [["--app", clientId, "--expires-in-days", "-1"], TesseraApiCode.MalformedRequest, /--expires-in-days/],
    [["--app", clientId, "--expires-in-days", "1.5"], TesseraApiCode.MalformedRequest, /--expires-in-days/],
    [
      ["--app", clientId, "--expires-in-days", "9007199254740993"],
      TesseraApiCode.MalformedRequest,
      /--expires-in-days/,
    ],
    [["--app", clientId, "--expires-in-days", "366"], TesseraApiCode.MalformedRequest, /--expires-in-days/],
    [
      ["--app", clientId, "--expires-in-days", "x".repeat(5000)],
      TesseraApiCode.MalformedRequest,
      /--expires-in-days/,
    ],
    [["--app", "nope", "--expires-in-days", "3"], TesseraApiCode.NotFound, /--app|nope/],
  ];
  for (const [flags, code, message] of cases) {
    const r = await cli([...base, ...flags]);
    assert.equal(r.status, 1, flags.join(" "));
    const answer = JSON.parse(r.stdout) as { errorCode: number; errorMessage: string };
    assert.equal(answer.errorCode, code, flags.join(" "));
    assert.match(answer.errorMessage, message);
  }
  const listed = await cli(["user", "pat", "list", "ann", "--tenant", "globex", "--json"]);
  assert.deepEqual(JSON.parse(listed.stdout), { personalAccessTokens: [] });
});
