import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";

/**
 * A newcomer follows the README's "First steps" to the letter: every command of its shell blocks
 * runs in order against a real `tessera start` process, the phone's authenticator app being
 * Debian's oathtool fed with the secret the README's own command printed. If the README names a
 * command, option or answer that does not exist, this test fails.
 */
const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
const cli = new URL("../bin/tessera.js", import.meta.url).pathname;

/** The commands of the section's shell blocks, comments dropped and continued lines joined. */
function firstSteps(): string[] {
  const section = readme.split("## First steps")[1]?.split("\n## ")[0] ?? "";
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => (block[1] ?? "").replace(/\\\n\s*/g, "").split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
}

/** The words of a command line, with 'single' and "double" quotes as a shell reads them. */
function words(line: string, vars: Record<string, string>): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) =>
    (m[1] ?? m[2] ?? m[3] ?? "").replace(/\$(\w+)/g, (_, name: string) => vars[name] ?? ""),
  );
}

/**
 * The codes an authenticator app shows for this secret, one period after another, counted from the
 * period of the first code asked for. Counting from that fixed period (not from "now" at each ask)
 * keeps the test true however slowly the machine runs: the activation code's period and the next
 * one stay within the server's window of one period either side, whatever its clock read.
 */
function phone(): (secret: string, stepsAhead: number) => string {
  let first: number | undefined;
  return (secret, stepsAhead) => {
    first ??= Math.floor(Date.now() / 30_000);
    const at = (first + stepsAhead) * 30;
    return execFileSync("oathtool", ["--totp", "-b", `--now=@${at}`, secret], { encoding: "utf8" }).trim();
  };
}

let server: ServerProcess;
before(async () => {
  server = await startServerProcess();
});
after(async () => {
  await server.stop();
});

test("the README's first steps enrol a phone token with one code and validate the next one", async () => {
  const steps = firstSteps();
  assert.ok(steps.length >= 6, `the first steps are commands: ${steps.join(" / ")}`);
  const vars: Record<string, string> = {};
  let last = "";
  let secret = "";
  let serial = "";
  let codesUsed = 0;
  const app = phone();
  let validated = false;
  for (const step of steps) {
    const line = step
      .replace(/\bSERIAL\b/g, serial)
      .replace(/\bCODE\b/g, () => (secret === "" ? "CODE" : app(secret, codesUsed++)));
    if (line.startsWith("npx tessera ")) {
      last = execFileSync(process.execPath, [cli, ...words(line.slice("npx tessera ".length), vars)], {
        encoding: "utf8",
        env: { ...process.env, TESSERA_DATA_DIR: server.dataDir },
      });
      const uri = /otpauth:\/\/\S+/.exec(last)?.[0];
      if (uri !== undefined) {
        secret = new URL(uri).searchParams.get("secret") ?? "";
        serial = /^token (\S+) created/m.exec(last)?.[1] ?? "";
        assert.notEqual(serial, "", `token create names the serial: ${last}`);
      }
    } else if (line.startsWith("export KEY=")) {
      vars.KEY = /tsk_\S+/.exec(last)?.[0] ?? "";
      assert.notEqual(vars.KEY, "", `the previous command printed an API key: ${last}`);
    } else if (line.startsWith("curl ")) {
      const args = words(line, vars);
      const headers: Record<string, string> = {};
      let body: string | undefined;
      let method = "GET";
      let url = "";
      for (let i = 1; i < args.length; i++) {
        const arg = args[i] ?? "";
        if (arg === "-X") method = args[++i] ?? "";
        else if (arg === "-H") {
          const [name = "", ...value] = (args[++i] ?? "").split(":");
          headers[name.trim()] = value.join(":").trim();
        } else if (arg === "-d") body = args[++i];
        else if (arg === "-s") continue;
        else url = arg;
      }
      const answer = await fetch(url.replace(/^localhost:8080/, server.url), {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const json = (await answer.json()) as { errorCode: number };
      assert.equal(json.errorCode, 0, `${line} answered ${JSON.stringify(json)}`);
      validated = true;
    } else {
      assert.fail(`a first step this test cannot follow: ${line}`);
    }
  }
  assert.ok(codesUsed >= 2, "the token was activated with a code and then a code was validated");
  assert.ok(validated, "the first steps end with a validated code");
});
