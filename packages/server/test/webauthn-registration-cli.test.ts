import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { runCli } from "./helpers/run-cli.ts";

/**
 * `tessera app create|update --webauthn-origin`: an app's own WebAuthn origins from the shell,
 * with the API's check (under the tenant's RP id: here publicUrl's host, 127.0.0.1 by default).
 */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-webauthn-cli-"));
const cli = (args: string[]) => runCli(["--data-dir", dataDir, ...args], { scenario: "webauthn apps: cli" });

before(async () => {
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("--webauthn-origin sets the app's origins; one outside the RP id is BogusFIDOAppId naming the flag", async () => {
  const base = [
    "app",
    "create",
    "--tenant",
    "acme",
    "--name",
    "Shop",
    "--kind",
    "native",
    "--redirect-uri",
    "http://127.0.0.1/cb",
    "--json",
  ];
  const made = await cli([...base, "--webauthn-origin", "http://127.0.0.1:3000"]);
  assert.equal(made.status, 0, made.stderr);
  const { app } = JSON.parse(made.stdout) as { app: { clientId: string; webauthnOrigins: string[] } };
  assert.deepEqual(app.webauthnOrigins, ["http://127.0.0.1:3000"]);
  const bad = await cli([...base, "--webauthn-origin", "https://shop.example"]);
  assert.equal(bad.status, 1);
  const answer = JSON.parse(bad.stdout) as { errorCode: number; errorMessage: string };
  assert.equal(answer.errorCode, ApiReturnCode.BogusFIDOAppId);
  assert.match(answer.errorMessage, /--webauthn-origin \(0\)/);
  const update = await cli([
    "app",
    "update",
    app.clientId,
    "--tenant",
    "acme",
    "--webauthn-origin",
    "http://127.0.0.1:3000",
    "--webauthn-origin",
    "http://shop.example",
    "--json",
  ]);
  assert.equal(update.status, 1);
  assert.match(
    (JSON.parse(update.stdout) as { errorMessage: string }).errorMessage,
    /--webauthn-origin \(1\)/,
  );
  const shown = await cli(["app", "show", app.clientId, "--tenant", "acme", "--json"]);
  assert.deepEqual((JSON.parse(shown.stdout) as { app: { webauthnOrigins: string[] } }).app.webauthnOrigins, [
    "http://127.0.0.1:3000",
  ]);
});
