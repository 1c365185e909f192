import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { test } from "node:test";
import { promisify } from "node:util";
import { recordObservedCode } from "@tessera/codes/coverage";
import { IdentityStatusCode } from "../src/index.ts";

const bin = new URL("../bin/tessera-login.js", import.meta.url).pathname;
const run = promisify(execFile);

/** Runs tessera-login; resolves with its exit code and output whatever the code. */
async function tesseraLogin(args: readonly string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, TESSERA_ISSUER: "", TESSERA_CLIENT_ID: "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("tessera-login --help prints the commands and the exit codes and exits 0", async () => {
  const { code, stdout } = await tesseraLogin(["--help"]);
  assert.equal(code, 0);
  for (const command of ["signin", "status", "token", "signout", "whoami"])
    assert.match(stdout, new RegExp(command));
  assert.match(stdout, /Exit codes: 0 done/);
});

test("a wrong command line exits 2 and names the problem", async () => {
  const cases: [string[], RegExp][] = [
    [[], /a command is required/],
    [["fly"], /unknown command: "fly"/],
    [["status", "--colour"], /colour/],
    [["status"], /--issuer/],
    [["status", "--issuer", "https://id.example"], /--client-id/],
    [["status", "--issuer", "https://id.example", "--client-id", "a", "--timeout-ms", "-5"], /--timeout-ms/],
    [
      ["whoami", "--issuer", "https://id.example", "--client-id", "a", "--for", "b"],
      /--for is an option of token/,
    ],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await tesseraLogin(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, message);
  }
});

test("an issuer nobody answers at: --json carries the identity code and the exit code is 5", async () => {
  const issuer = `http://127.0.0.1:${await closedPort()}/oidc/tenant`;
  const { code, stdout } = await tesseraLogin(["status", "--json"], {
    TESSERA_ISSUER: issuer,
    TESSERA_CLIENT_ID: "desktop-app",
  });
  const answer = JSON.parse(stdout) as { status: number; statusName: string; message: string };
  recordObservedCode("identity", answer.status, "tessera-login status against an unreachable issuer");
  assert.equal(answer.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
  assert.equal(answer.statusName, "AuthenticationInterfaceCouldNotBeInitialized");
  assert.equal(code, 5);
});
