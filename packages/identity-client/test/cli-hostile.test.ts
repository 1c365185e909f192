import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { recordObservedCode } from "@tessera/codes/coverage";
import { runTesseraLogin } from "../src/cli/tessera-login.ts";
import { answerOf, tesseraLogin } from "./helpers/cli-run.ts";

/**
 * tessera-login attacked through its command line: repeated options, huge values, control
 * characters and NUL bytes, credentials in --issuer, a relative --store-dir. Whatever comes in,
 * the answer is a usage error (2) or Failed (1) naming the option, fast, short, and echoing
 * nothing that could drive the terminal or leak a secret. The issuer is a loopback port nobody
 * listens on: nothing here may need a server.
 */
let issuer = "";
let cwd = "";
before(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  issuer = `http://127.0.0.1:${port}/oidc/tenant`;
  cwd = await mkdtemp(join(tmpdir(), "tessera-cli-cwd-"));
});
after(() => rm(cwd, { recursive: true, force: true }));

const huge = "a".repeat(100_000);
const base = () => ["--issuer", issuer, "--client-id", "desktop-app"];

/** A C0 or C1 control character other than tab and newline. */
const hasControlCharacter = (text: string) =>
  Array.from(text).some((char) => {
    const code = char.charCodeAt(0);
    return (code < 0x20 && char !== "\t" && char !== "\n") || (code >= 0x7f && code <= 0x9f);
  });

/** No terminal control character (ESC, BEL, NUL, …) and nothing longer than a screenful. */
function assertTame(output: { stdout: string; stderr: string }, what: string) {
  for (const text of [output.stdout, output.stderr]) {
    assert.ok(!hasControlCharacter(text), `${what}: no control character`);
    assert.ok(text.length < 4000, `${what}: ${text.length} characters`);
  }
}

test("a repeated option is a usage error naming it, never the last one silently", async () => {
  for (const option of ["--issuer", "--client-id", "--store-dir", "--for", "--locale", "--timeout-ms"]) {
    const value = option === "--timeout-ms" ? "5000" : option === "--store-dir" ? cwd : "x";
    const run = await tesseraLogin(["token", ...base(), option, value, option, value]);
    assert.equal(run.code, 2, `${option} twice: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`${option} is given more than once`));
  }
});

test("control characters in a command or an option are not echoed to the terminal", async () => {
  const hostile = "st\u001b]0;pwned\u0007atus\u001b[2J";
  for (const args of [
    [hostile, ...base()],
    ["status", ...base(), `--${hostile}`],
  ]) {
    const run = await tesseraLogin(args);
    assert.equal(run.code, 2);
    assertTame(run, JSON.stringify(args[0]));
    assert.match(run.stderr, /\\u001b/, "shown escaped");
  }
});

test("NUL bytes (which no exec passes on) are refused in process, naming the option", async () => {
  const cases: [string[], RegExp, number][] = [
    [["status\0", ...base()], /unknown command: "status\\u0000"/, 2],
    [
      ["status", "--issuer", `${issuer}\0x`, "--client-id", "a"],
      /--issuer \(or TESSERA_ISSUER\) must be a URL/,
      2,
    ],
    [
      ["status", "--issuer", issuer, "--client-id", "a\0b"],
      /--client-id \(or TESSERA_CLIENT_ID\) must be/,
      2,
    ],
    [["status", ...base(), "--store-dir", "/tmp/a\0b"], /--store-dir/, 2],
    [["status", ...base(), "--locale", "en\0"], /--locale must be/, 2],
    [["token", ...base(), "--for", "b\0c"], /--for must be a client id/, 2],
    [["status", ...base(), "--timeout-ms", "1\0"], /--timeout-ms must be/, 2],
  ];
  for (const [args, message, code] of cases) {
    const out = { stdout: "", stderr: "" };
    const exit = await runTesseraLogin(
      [...args, "--json"],
      {},
      {
        stdout: (text) => {
          out.stdout += text;
        },
        stderr: (text) => {
          out.stderr += text;
        },
      },
    );
    assert.equal(exit, code, `${JSON.stringify(args)}: ${out.stdout}${out.stderr}`);
    assert.match(out.stdout + out.stderr, message);
    assertTame(out, JSON.stringify(args));
    if (out.stdout !== "")
      recordObservedCode("identity", JSON.parse(out.stdout).status, "tessera-login: a NUL byte");
  }
});

test("huge values are refused at once naming the option, and never echoed whole", async () => {
  const cases: [string[], number][] = [
    [[huge, ...base()], 2],
    [["status", "--issuer", `${issuer}/${huge}`, "--client-id", "a", "--json"], 2],
    [["status", "--issuer", issuer, "--client-id", huge, "--json"], 2],
    [["status", ...base(), "--locale", huge, "--json"], 2],
    [["status", ...base(), "--store-dir", `/tmp/${huge}`, "--json"], 2],
    [["status", ...base(), "--timeout-ms", huge], 2],
    [["token", ...base(), "--for", huge], 2],
    [["status", ...base(), `--${huge}`], 2],
  ];
  for (const [args, code] of cases) {
    const run = await tesseraLogin(args);
    assert.equal(run.code, code, `${args.map((a) => a.slice(0, 30)).join(" ")}: ${run.stderr.slice(0, 300)}`);
    assertTame(run, args.map((a) => a.slice(0, 30)).join(" "));
    if (run.stdout !== "")
      assert.equal(answerOf(run, "tessera-login: a huge option value").statusName, "Failed", run.stdout);
  }
});

test("--issuer with credentials in the URL is refused without repeating them", async () => {
  const withCredentials = issuer.replace("http://", "http://ada:hunter2-secret@");
  for (const args of [
    ["status", "--issuer", withCredentials, "--client-id", "a", "--json"],
    ["token", "--issuer", withCredentials, "--client-id", "a"],
  ]) {
    const run = await tesseraLogin(args);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(
      run.stdout + run.stderr,
      /issuer \(or TESSERA_ISSUER\) must have no query, fragment or credentials/,
    );
    assert.ok(!(run.stdout + run.stderr).includes("hunter2"), "the password is not repeated");
    if (args.includes("--json")) answerOf(run, "tessera-login: credentials in --issuer");
  }
});

test("a relative --store-dir is refused (another working directory would be another store)", async () => {
  const run = await tesseraLogin(["status", ...base(), "--store-dir", "store", "--json"]);
  assert.equal(run.code, 2);
  assert.match(
    answerOf(run, "tessera-login: relative --store-dir").message ?? "",
    /--store-dir must be an absolute/,
  );
  assert.deepEqual(await readdir(cwd), [], "nothing was created");
});
