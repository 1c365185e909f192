import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { recordObservedCode } from "@tessera/codes/coverage";
import { IdentityStatusCode } from "../src/index.ts";

/** A new user's typical mistakes on tessera-login's command line: each names the flag to fix. */
const bin = new URL("../bin/tessera-login.js", import.meta.url).pathname;
const run = promisify(execFile);

async function tesseraLogin(args: readonly string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, TESSERA_ISSUER: "", TESSERA_CLIENT_ID: "" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Nothing is contacted: every one of these is refused before any request.
const base = ["status", "--issuer", "https://id.example.com/oidc/t1", "--client-id", "notes"];
const mistakes: [string, readonly string[], RegExp][] = [
  ["a relative --store-dir", [...base, "--store-dir", "./store"], /--store-dir must be an absolute path/],
  ["a --timeout-ms below the minimum", [...base, "--timeout-ms", "5"], /--timeout-ms must be an integer/],
  [
    "an http --issuer on the network",
    ["status", "--issuer", "http://id.example.com/oidc/t1", "--client-id", "notes"],
    /--issuer \(or TESSERA_ISSUER\) must be https/,
  ],
  [
    "a --client-id with a space",
    ["status", "--issuer", "https://id.example.com/oidc/t1", "--client-id", "my app"],
    /--client-id \(or TESSERA_CLIENT_ID\) must be 1 to 128 characters/,
  ],
  [
    "a --locale that is no language tag",
    [...base, "--locale", "english please"],
    /--locale must be a BCP 47/,
  ],
];

for (const [mistake, args, message] of mistakes)
  test(`tessera-login with ${mistake}: exit 2 (usage), the message names the flag`, async () => {
    const { code, stderr } = await tesseraLogin(args);
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
  });

test("tessera-login --json with a wrong flag value: Failed in the JSON, naming the flag, exit 2", async () => {
  const { code, stdout } = await tesseraLogin([...base, "--store-dir", "store", "--json"]);
  const answer = JSON.parse(stdout) as { status: number; message: string };
  recordObservedCode("identity", answer.status, "tessera-login: a wrong flag value");
  assert.equal(code, 2);
  assert.equal(answer.status, IdentityStatusCode.Failed);
  assert.match(answer.message, /^--store-dir must be an absolute path/);
});
