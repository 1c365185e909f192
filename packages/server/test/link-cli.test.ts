import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { recordObservedCode } from "@tessera/codes/coverage";
import { runCli } from "./helpers/run-cli.ts";

/** `tessera link` drives a whole connection from the terminal, second factor included. */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-link-cli-"));
const env = { TESSERA_LINK_SANDBOX: "on" };
const cli = (args: string[], input = "") =>
  runCli(["--data-dir", dataDir, ...args], { env, input, scenario: "link: cli" });

before(async () => {
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
  assert.equal((await cli(["user", "create", "ann", "--tenant", "acme"])).status, 0);
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("link sites lists the catalogue", async () => {
  const result = await cli(["link", "sites", "--json"]);
  const sites = JSON.parse(result.stdout) as { id: string }[];
  assert.deepEqual(
    sites.map((s) => s.id),
    ["sandbox-bank", "sandbox-bank-business", "sandbox-bank-ofx"],
  );
});

test("link connect asks for the fields and the second factor and shows the live status", async () => {
  const result = await cli(
    ["link", "connect", "--tenant", "acme", "--user", "ann", "--site", "sandbox-bank"],
    "user_token\nsandbox\n123456\n",
  );
  assert.equal(result.status, 0, result.stderr);
  const shown = [...result.stdout.matchAll(/Z {2}(\d{3}) (\w+)/g)].map((m) => Number(m[1]));
  for (const code of shown) recordObservedCode("credential", code, "link: cli");
  assert.deepEqual(shown, [100, 101, 410, 103, 102, 200]);
  assert.match(result.stderr, /Challenge 4711/, "the challenge is shown with the question");
  assert.match(result.stdout, /Everyday Checking …0001 2450\.17 USD/);
  assert.doesNotMatch(
    result.stdout + result.stderr,
    /123456|sandbox\b(?!-)/,
    "answers and passwords are not echoed",
  );
});

test("a failed connection exits non-zero with the status; link jobs lists both jobs", async () => {
  const failed = await cli(
    ["link", "connect", "--tenant", "acme", "--user", "ann", "--site", "sandbox-bank"],
    "user_locked\nsandbox\n",
  );
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, /405 Locked/);
  const jobs = JSON.parse((await cli(["link", "jobs", "--tenant", "acme", "--json"])).stdout) as {
    code: number;
  }[];
  assert.deepEqual(jobs.map((j) => j.code).sort(), [200, 405]);
});

test("unknown users and sites are refused with their code", async () => {
  const user = await cli([
    "link",
    "connect",
    "--tenant",
    "acme",
    "--user",
    "nobody",
    "--site",
    "sandbox-bank",
  ]);
  assert.equal(user.status, 1);
  assert.match(user.stderr, /InvalidPartnerUserLogin \(9090\): no user nobody/);
  const site = await cli(["link", "connect", "--tenant", "acme", "--user", "ann", "--site", "moon-bank"]);
  assert.equal(site.status, 1);
  assert.match(site.stderr, /NotFound \(9903\): no site moon-bank/);
});

test("link site test: each step with ✓, a sign-on with the password asked hidden; a refusal exits 1", async () => {
  const anonymous = await cli(["link", "site", "test", "sandbox-bank-ofx"]);
  assert.equal(anonymous.status, 0, anonymous.stderr);
  assert.match(
    anonymous.stdout,
    /^✓ options .*\n✓ address .*\n✓ http .*\n✓ ofx .*\n✓ profile +Sandbox Bank supports SIGNON, SIGNUP, BANK, CREDITCARD, INVSTMT, SECLIST, PROF\n$/,
  );
  const login = await cli(
    ["link", "site", "test", "sandbox-bank-ofx", "--tenant", "acme", "--login"],
    "user_good\nsandbox\n",
  );
  assert.equal(login.status, 0, login.stderr);
  assert.match(login.stdout, /✓ signon +signed on: 2 account\(s\)/);
  assert.doesNotMatch(login.stdout + login.stderr, /sandbox\b(?!-)/, "the password is not echoed");
  const locked = await cli(["link", "site", "test", "sandbox-bank-ofx", "--login"], "user_locked\nsandbox\n");
  assert.equal(locked.status, 1);
  assert.match(locked.stdout, /✗ signon +signon refused: OFX 15502 .*405 Locked/);
  const unknown = await cli(["link", "site", "test", "no-such-bank", "--json"]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stdout, /"errorName":"NotFound"/);
});
