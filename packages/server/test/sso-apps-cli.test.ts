import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import * as oidc from "openid-client";
import { newClientId } from "../src/sso/apps/app-secrets.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";

/**
 * `tessera app …`: a tenant's apps from the operator's shell, with the API's validation; a secret
 * printed once (stdout) with a warning (stderr), and working at the server's token endpoint.
 */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-app-cli-"));
const cli = (args: string[]) => runCli(["--data-dir", dataDir, ...args], { scenario: "apps: cli" });
type AppJson = { clientId: string; name: string; kind: string; redirectUris: string[]; hasSecret: boolean };
let tenantId = "";
let server: ServerProcess | undefined;

before(async () => {
  const created = await cli(["tenant", "create", "acme", "--json"]);
  assert.equal(created.status, 0, created.stderr);
  tenantId = (JSON.parse(created.stdout) as { tenant: { id: string } }).tenant.id;
  assert.equal((await cli(["tenant", "create", "globex"])).status, 0);
});
after(async () => {
  await server?.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

test("create, list, show, update, rotate-secret and delete, in JSON; the secret once, with a warning", async () => {
  const made = await cli([
    "app",
    "create",
    "--tenant",
    "acme",
    "--name",
    "Back office",
    "--kind",
    "confidential",
    "--grant-type",
    "client_credentials",
    "--grant-type",
    "authorization_code",
    "--redirect-uri",
    "https://backoffice.acme.example/cb",
    "--scope",
    "email",
    "--json",
  ]);
  assert.equal(made.status, 0, made.stderr);
  const { app, clientSecret } = JSON.parse(made.stdout) as { app: AppJson; clientSecret: string };
  assert.equal(Buffer.from(clientSecret, "base64url").length, 32);
  assert.match(made.stderr, /shown this once/);
  assert.ok(!made.stderr.includes(clientSecret), "the warning does not repeat the secret");
  assert.deepEqual(app.redirectUris, ["https://backoffice.acme.example/cb"]);

  const listed = await cli(["app", "list", "--tenant", "acme", "--json"]);
  assert.deepEqual(JSON.parse(listed.stdout), [app]);
  const shown = await cli(["app", "show", app.clientId, "--tenant", tenantId]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /Back office/);
  for (const out of [listed, shown]) assert.ok(!out.stdout.includes(clientSecret));
  assert.deepEqual(JSON.parse((await cli(["app", "list", "--tenant", "globex", "--json"])).stdout), []);

  // The secret works at the token endpoint of a server on the same data; a rotation ends it.
  server = await startServerProcess(["--data-dir", dataDir]);
  const grant = async (secret: string) =>
    oidc.clientCredentialsGrant(
      await oidc.discovery(new URL(`/oidc/${tenantId}`, server?.url), app.clientId, secret, undefined, {
        execute: [oidc.allowInsecureRequests],
      }),
    );
  assert.ok((await grant(clientSecret)).access_token);
  const rotated = await cli(["app", "rotate-secret", app.clientId, "--tenant", "acme"]);
  assert.equal(rotated.status, 0, rotated.stderr);
  assert.match(rotated.stderr, /shown this once/);
  const newSecret = /client secret: (\S+)/.exec(rotated.stdout)?.[1] ?? "";
  assert.equal(Buffer.from(newSecret, "base64url").length, 32);
  await assert.rejects(grant(clientSecret), (e: { error?: string }) => e.error === "invalid_client");
  assert.ok((await grant(newSecret)).access_token);
  const logged = JSON.stringify(server.logs);
  for (const secret of [clientSecret, newSecret]) assert.ok(!logged.includes(secret), "no secret in the log");

  const updated = await cli([
    "app",
    "update",
    app.clientId,
    "--tenant",
    "acme",
    "--name",
    "Renamed",
    "--no-first-party",
    "--json",
  ]);
  assert.equal(updated.status, 0, updated.stderr);
  assert.equal(
    (JSON.parse(updated.stdout) as { app: AppJson & { firstParty: boolean } }).app.firstParty,
    false,
  );

  // Another tenant's app is not found from that tenant.
  const foreign = await cli(["app", "delete", app.clientId, "--tenant", "globex", "--json"]);
  assert.equal(foreign.status, 1);
  assert.equal(JSON.parse(foreign.stdout).errorCode, TesseraApiCode.NotFound);
  assert.equal((await cli(["app", "delete", app.clientId, "--tenant", "acme"])).status, 0);
  const gone = await cli(["app", "show", app.clientId, "--tenant", "acme", "--json"]);
  assert.equal(gone.status, 1);
  assert.equal(JSON.parse(gone.stdout).errorCode, TesseraApiCode.NotFound);
});

test("the API's validation, with the problems named by flag; nothing is stored", async () => {
  const cases: [string[], RegExp][] = [
    [["--name", "n", "--kind", "native", "--redirect-uri", "http://localhost/cb"], /--redirect-uri \(0\)/],
    [["--name", "n", "--kind", "browser", "--grant-type", "client_credentials"], /--grant-type/],
    [["--name", "n", "--kind", "native", "--scope", "admin"], /--scope \(0\)/],
    [["--name", "", "--kind", "native"], /--name/],
    [["--name", "n", "--kind", "server"], /--kind/],
  ];
  for (const [flags, field] of cases) {
    const r = await cli(["app", "create", "--tenant", "acme", ...flags, "--json"]);
    assert.equal(r.status, 1, flags.join(" "));
    const answer = JSON.parse(r.stdout) as { errorCode: number; errorMessage: string };
    assert.equal(answer.errorCode, TesseraApiCode.MalformedRequest);
    assert.match(answer.errorMessage, field, answer.errorMessage);
  }
  const noChange = await cli(["app", "update", "whatever", "--tenant", "acme"]);
  assert.equal(noChange.status, 1);
  assert.match(noChange.stderr, /nothing to change/);
  assert.deepEqual(JSON.parse((await cli(["app", "list", "--tenant", "acme", "--json"])).stdout), []);
});

test("client ids never start with '-', which `tessera app show <client id>` would take for an option", () => {
  // Of 5,000 base64url ids about 78 start with "-"; none may.
  const ids = Array.from({ length: 5000 }, newClientId);
  assert.deepEqual(
    ids.filter((id) => id.startsWith("-")),
    [],
  );
  assert.ok(
    ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id)),
    "still 128 bits of base64url",
  );
  assert.equal(new Set(ids).size, ids.length);
});
