import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { runCli } from "./helpers/run-cli.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const env = { TESSERA_LOG_LEVEL: "silent" };
const help = async (args: readonly string[]) => {
  const r = await runCli([...args, "--help"], { env, scenario: "cli: help" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};
const defaultDir = /default: \$XDG_DATA_HOME\/tessera, else ~\/\.local\/share\/tessera/;

test("every command's help shows where the data is (--config, --data-dir, --database-url) and the default directory", async () => {
  for (const args of [[], ["start"], ["tenant", "list"], ["token", "create"], ["user", "import"]]) {
    const text = (await help(args)).replace(/\s+/g, " ");
    for (const option of ["--config <file>", "--data-dir <dir>", "--database-url <url>"])
      assert.ok(text.includes(option), `tessera ${args.join(" ")} --help names ${option}`);
    assert.match(text, defaultDir, `tessera ${args.join(" ")} --help states the default data directory`);
  }
  const start = await help(["start"]);
  assert.match(start, /--host <host>/);
  assert.match(start, /--port <port>/);
});

test("every user subcommand is described in `tessera user --help`", async () => {
  const text = await help(["user"]);
  for (const name of ["create", "list", "update", "show", "delete", "import"]) {
    // commander prints "  name [options] <args>   description": a bare name line has no description.
    const line = new RegExp(`^ {2}${name}\\b.*$`, "m").exec(text)?.[0] ?? "";
    assert.match(line, /\S {2,}[a-z]/, `"${name}" has a description: ${line}`);
  }
});

suite("CLI output for people", () => {
  let s: TestServer;
  let cli: (args: readonly string[]) => Promise<string>;
  before(async () => {
    s = await startTestServer("sqlite");
    const data = ["--data-dir", s.server.ctx.config.dataDir];
    cli = async (args) => {
      const r = await runCli([...data, ...args], { env, scenario: "cli: output" });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
  });
  after(() => s.close());

  test("tenant list prints each tenant's id, state and expiry", async () => {
    await cli(["tenant", "create", "out-on"]);
    await cli(["tenant", "create", "out-off"]);
    await cli(["tenant", "disable", "out-off"]);
    await cli(["tenant", "create", "out-later"]);
    await cli(["tenant", "set", "out-later", "--expires-at", "2030-01-01T00:00:00Z"]);
    await cli(["tenant", "create", "out-past"]);
    await cli(["tenant", "set", "out-past", "--expires-at", "2001-01-01T00:00:00Z"]);
    const text = await cli(["tenant", "list"]);
    assert.match(text, /^out-on {2}id=\S+ {2}state=enabled {2}expires=never$/m);
    assert.match(text, /^out-off {2}id=\S+ {2}state=disabled {2}expires=never$/m);
    assert.match(text, /^out-later {2}id=\S+ {2}state=enabled {2}expires=2030-01-01T00:00:00\.000Z$/m);
    assert.match(text, /^out-past {2}id=\S+ {2}state=expired {2}expires=2001-01-01T00:00:00\.000Z$/m);
  });

  test("token list has a header and aligned columns; token show prints '-' for empty values", async () => {
    await cli(["tenant", "create", "cols"]);
    await cli(["user", "create", "bartholomew", "--tenant", "cols"]);
    await cli(["token", "create", "--tenant", "cols", "--type", "totp", "--serial", "T1"]);
    await cli([
      "token",
      "create",
      "--tenant",
      "cols",
      "--type",
      "hotp",
      "--serial",
      "LONGSERIAL0001",
      "--username",
      "bartholomew",
    ]);
    const lines = (await cli(["token", "list", "--tenant", "cols"])).trimEnd().split("\n");
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.match(lines[0] ?? "", /^SERIAL +TYPE +USER +STATE +ACTIVATION$/);
    assert.match(lines[1] ?? "", /^LONGSERIAL0001 +hotp +bartholomew +enabled +not activated$/);
    assert.match(lines[2] ?? "", /^T1 +totp +- +enabled +not activated$/);
    // Aligned: every column starts at the same offset on every line.
    for (const column of ["TYPE", "USER", "STATE", "ACTIVATION"]) {
      const at = lines[0]?.indexOf(column) ?? -1;
      for (const line of lines.slice(1))
        assert.notEqual(line[at - 1], undefined, `${column} column exists in: ${line}`);
      assert.ok(
        lines.slice(1).every((line) => line[at - 1] === " " && line[at - 2] === " " && line[at] !== " "),
        `${column} starts at ${at} on every line:\n${lines.join("\n")}`,
      );
    }
    const shown = await cli(["token", "show", "--tenant", "cols", "T1"]);
    assert.doesNotMatch(shown, /: $/m, `no key without a value:\n${shown}`);
    assert.match(shown, /^counter: -$/m);
    assert.match(shown, /^lockedUntil: -$/m);
    assert.match(shown, /^username: -$/m);
    const user = await cli(["user", "show", "bartholomew", "--tenant", "cols"]);
    assert.doesNotMatch(user, /: $/m, `no key without a value:\n${user}`);
  });
});
