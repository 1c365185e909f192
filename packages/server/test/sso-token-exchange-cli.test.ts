import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { TOKEN_EXCHANGE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { runCli } from "./helpers/run-cli.ts";

/** `tessera app create --grant-type <token exchange>`: native and confidential apps, not browser apps. */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-exchange-cli-"));
const cli = (args: string[]) =>
  runCli(["--data-dir", dataDir, ...args], { scenario: "sso: token exchange cli" });

before(async () => {
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("the CLI lets native and confidential apps hold the token-exchange grant, and refuses browser apps by flag", async () => {
  const create = (kind: string, redirectUri: string) =>
    cli([
      "app",
      "create",
      "--tenant",
      "acme",
      "--name",
      `Exchanging ${kind}`,
      "--kind",
      kind,
      "--redirect-uri",
      redirectUri,
      "--grant-type",
      "authorization_code",
      "--grant-type",
      TOKEN_EXCHANGE_GRANT_TYPE,
      "--json",
    ]);
  for (const kind of ["native", "confidential"]) {
    const made = await create(kind, "http://127.0.0.1/callback");
    assert.equal(made.status, 0, made.stderr);
    const { app } = JSON.parse(made.stdout) as { app: { grantTypes: string[] } };
    assert.ok(app.grantTypes.includes(TOKEN_EXCHANGE_GRANT_TYPE), made.stdout);
  }
  const browser = await create("browser", "https://spa.example/cb");
  assert.equal(browser.status, 1);
  const answer = JSON.parse(browser.stdout) as { errorCode: number; errorMessage: string };
  assert.equal(answer.errorCode, TesseraApiCode.MalformedRequest);
  assert.match(answer.errorMessage, /--grant-type/);
  assert.match(answer.errorMessage, /native or confidential/);
});
