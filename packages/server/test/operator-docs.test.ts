import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Command } from "commander";
import { withDataOptions } from "../src/cli/cli-config.ts";
import { startCommand } from "../src/cli/start-command.ts";
import { tesseraProgram } from "../src/cli/tessera-program.ts";
import { loadConfig } from "../src/config/load-config.ts";
import { settings } from "../src/config/settings.ts";

const operations = readFileSync(new URL("../../../docs/operations.md", import.meta.url), "utf8");
const rootPackage = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  scripts: { start: string };
};
const cli = new URL("../bin/tessera.js", import.meta.url).pathname;

function unitFromDocs(): string {
  const unit = /```ini\n(\[Unit\][\s\S]*?)```/.exec(operations)?.[1];
  assert.ok(unit !== undefined, "docs/operations.md holds a systemd unit in an ini block");
  return unit;
}

const directives = (unit: string, key: string) =>
  unit
    .split("\n")
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));

/** The node flags of a command line: what lies between the node program and tessera.js. */
function splitCommandLine(line: string) {
  const words = line.trim().split(/\s+/);
  const script = words.findIndex((w) => w.endsWith("packages/server/bin/tessera.js"));
  assert.ok(script > 0, `runs bin/tessera.js: ${line}`);
  return { program: words[0] as string, nodeFlags: words.slice(1, script), args: words.slice(script + 1) };
}

/**
 * Parses `start …` with the real command-line definition (the start action replaced, so nothing
 * starts): an unknown or incomplete option fails here as it would for the operator.
 */
function parseStart(args: readonly string[]): Record<string, unknown> {
  const start = startCommand().exitOverride();
  start.action(() => {});
  const program = withDataOptions(new Command("tessera")).exitOverride().addCommand(start);
  program.configureOutput({ writeErr: () => {} });
  start.configureOutput({ writeErr: () => {} });
  program.parse([...args], { from: "user" });
  return start.optsWithGlobals();
}

test("docs/operations.md names every tessera command and each of its subcommands, and no others", () => {
  const intro = "`npx tessera --help` lists them:";
  const from = operations.indexOf(intro);
  assert.ok(from >= 0, `docs/operations.md says: ${intro}`);
  const paragraph = operations.slice(from + intro.length, operations.indexOf("\n\n", from));
  // `group sub1|sub2` for a command group, `start` for a command of its own, and
  // `group sub sub1|sub2` for a group inside a group (`link site add|list`).
  const listed = new Map(
    [...paragraph.matchAll(/`([a-z-]+(?: [a-z-]+(?= [a-z|-]+`))?)((?: [a-z|-]+)?)`/g)].map((m) => [
      m[1],
      new Set((m[2] ?? "").trim().split("|").filter(Boolean)),
    ]),
  );
  const program = tesseraProgram();
  const actual = new Map(program.commands.map((c) => [c.name(), new Set(c.commands.map((s) => s.name()))]));
  assert.ok(actual.size >= 8, "the program was walked");
  for (const group of program.commands)
    for (const sub of group.commands) {
      if (sub.commands.length > 0)
        actual.set(`${group.name()} ${sub.name()}`, new Set(sub.commands.map((s) => s.name())));
      for (const leaf of sub.commands)
        assert.equal(
          leaf.commands.length,
          0,
          `${group.name()} ${sub.name()} ${leaf.name()}: extend the list's form`,
        );
    }
  assert.deepEqual(listed, actual);
});

test("the systemd unit in docs/operations.md parses, runs the documented start line, and is hardened", (t) => {
  const unit = unitFromDocs();
  const execStart = directives(unit, "ExecStart");
  assert.equal(execStart.length, 1);
  const { program, nodeFlags, args } = splitCommandLine(execStart[0] as string);
  assert.equal(program, "/opt/tessera/node_modules/.bin/node", "the Node 24 the checkout installs");
  assert.deepEqual(nodeFlags, splitCommandLine(rootPackage.scripts.start.replace(/^exec /, "")).nodeFlags);
  assert.equal(args[0], "start");
  const options = parseStart(args);
  assert.equal(options.config, "/etc/tessera/tessera.json");
  // The values are valid settings, too (the config file itself exists only on the server).
  assert.doesNotThrow(() => loadConfig({ env: {}, flags: { host: options.host, port: options.port } }));

  const knownEnv = new Set([...settings.map((s) => s.env), "NODE_COMPILE_CACHE"]);
  const environment = new Map(
    directives(unit, "Environment").map((e) => e.split("=", 2) as [string, string]),
  );
  for (const name of environment.keys()) assert.ok(knownEnv.has(name), `${name} is a setting`);
  const dataDir = environment.get("TESSERA_DATA_DIR");
  assert.equal(dataDir, "/var/lib/tessera");
  assert.deepEqual(directives(unit, "ReadWritePaths"), [dataDir], "the data directory is writable");
  for (const [key, value] of [
    ["Type", "simple"],
    ["User", "tessera"],
    ["Restart", "on-failure"],
    ["NoNewPrivileges", "yes"],
    ["ProtectSystem", "strict"],
    ["ProtectHome", "yes"],
    ["PrivateTmp", "yes"],
  ] as const)
    assert.deepEqual(directives(unit, key), [value], key);
  const defaults = loadConfig({ env: {} });
  const stopSeconds = Number(/^(\d+)s$/.exec(directives(unit, "TimeoutStopSec")[0] ?? "")?.[1]);
  assert.ok(
    stopSeconds * 1000 > defaults.shutdownDrainMs + defaults.shutdownTimeoutMs,
    "systemd waits longer than a graceful stop may take",
  );

  // systemd's own parser, where the machine has it (Debian ships it with systemd): unknown keys and
  // bad values are reported on stderr. The program must exist for it, so this Node stands in.
  const dir = mkdtempSync(join(tmpdir(), "tessera-unit-"));
  const file = join(dir, "tessera.service");
  writeFileSync(file, unit.replace(program, process.execPath));
  const verified = spawnSync("systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8" });
  if ((verified.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
    t.diagnostic("systemd-analyze is not installed: the unit was checked by the rules above only");
  else {
    assert.equal(verified.status, 0, verified.stderr);
    // verify also loads the units installed on the machine (the FreeRADIUS package's, say) and
    // reports their deprecations; only what it says about this unit counts.
    const aboutThisUnit = verified.stderr
      .split("\n")
      .filter((line) => !line.startsWith("/") || line.startsWith(file));
    assert.equal(aboutThisUnit.join("\n").trim(), "", "systemd reports nothing about the unit");
  }
});

test("the production `tessera start` line in docs/operations.md parses with the real options", () => {
  const block = /```sh\n(TESSERA_DATA_DIR=[\s\S]*?)```/.exec(operations)?.[1];
  assert.ok(block !== undefined, "docs/operations.md shows the production start line");
  const line = block.replaceAll("\\\n", " ");
  assert.match(line, /TESSERA_DATABASE_URL=postgres:\/\//, "PostgreSQL through the environment");
  const { args } = splitCommandLine(line.slice(line.indexOf("/opt/tessera/node_modules/.bin/node")));
  const options = parseStart(args);
  assert.equal(options.host, "127.0.0.1");
  assert.equal(options.databaseUrl, undefined, "no password on the command line");
  assert.throws(() => parseStart([...args, "--no-such-option"]), /unknown option/, "the parse is strict");
});

/**
 * Every sentence or aside that names a part not built yet says that it is planned, and SSO (built
 * with issue #12), WebAuthn (#15) and RADIUS (#16) are never called planned.
 */
function assertHonest(text: string, where: string): void {
  for (const fragment of text.split(/[.;()]/)) {
    if (/console|identity client/.test(fragment))
      assert.match(fragment, /planned/i, `${where}: "${fragment}"`);
    if (/SSO|single sign-on|WebAuthn|RADIUS/i.test(fragment))
      assert.doesNotMatch(fragment, /planned|not built/i, `${where}: "${fragment}"`);
  }
}

test("`tessera --help` and `tessera start --help` describe what is built, and name planned parts as planned", () => {
  for (const args of [["--help"], ["start", "--help"]]) {
    const help = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    const text = help.stdout.replaceAll(/\s+/g, " ");
    assert.match(text, /MFA/);
    assert.match(text, /Link/);
    assertHonest(text, args.join(" "));
    assert.match(text, /SSO/, "the built SSO is named");
    // Built with issues #15 and #16: named, and not as planned.
    assert.match(text, /RADIUS/, "the RADIUS listener is named");
    assert.match(text, /WebAuthn/, "security keys and passkeys are named");
    assert.doesNotMatch(text, /RADIUS[^.;()]*planned|planned[^.;()]*RADIUS/i, "RADIUS is not called planned");
  }
  const serverPackage = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    description: string;
  };
  assertHonest(serverPackage.description, "packages/server/package.json");
});
