import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "./helpers/run-cli.ts";

/** A fake home with two unrelated working directories in it; nothing here is a real home. */
function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "tessera-datadir-"));
  const home = join(root, "home");
  const one = join(root, "one");
  const two = join(root, "two", "deeper");
  for (const dir of [home, one, two]) mkdirSync(dir, { recursive: true });
  // XDG_DATA_HOME empty: unset for the child, whatever the test command exported.
  const env = { HOME: home, XDG_DATA_HOME: "", TESSERA_LOG_LEVEL: "silent" };
  return { root, home, one, two, env };
}

const printed = (stderr: string) => /^tessera: data directory (.+)$/m.exec(stderr)?.[1];

test("without a setting, every working directory uses the same data directory in the user's data home, and says which", async () => {
  const { home, one, two, env } = sandbox();
  const scenario = "data dir: default";
  const created = await runCli(["tenant", "create", "everywhere", "--json"], { env, cwd: one, scenario });
  assert.equal(created.status, 0, created.stderr);
  const listed = await runCli(["tenant", "list", "--json"], { env, cwd: two, scenario });
  assert.equal(listed.status, 0, listed.stderr);
  const names = (JSON.parse(listed.stdout) as { tenants: { name: string }[] }).tenants.map((t) => t.name);
  assert.deepEqual(names, ["everywhere"], "the tenant created elsewhere is listed");
  const expected = join(home, ".local", "share", "tessera");
  assert.equal(printed(created.stderr), expected);
  assert.equal(printed(listed.stderr), expected);
  assert.ok(existsSync(join(expected, "tessera.sqlite")));
  assert.deepEqual(readdirSync(one), [], "nothing is written into the working directory");
  assert.deepEqual(readdirSync(two), []);
});

test("XDG_DATA_HOME, when absolute, is the data home; a relative one is ignored as the XDG specification says", async () => {
  const { root, home, one, env } = sandbox();
  const xdg = join(root, "xdg");
  const scenario = "data dir: XDG_DATA_HOME";
  const r = await runCli(["tenant", "list"], { env: { ...env, XDG_DATA_HOME: xdg }, cwd: one, scenario });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(printed(r.stderr), join(xdg, "tessera"));
  const relative = await runCli(["tenant", "list"], {
    env: { ...env, XDG_DATA_HOME: "xdg" },
    cwd: one,
    scenario,
  });
  assert.equal(printed(relative.stderr), join(home, ".local", "share", "tessera"));
});

test("a relative --data-dir or TESSERA_DATA_DIR is resolved once against the working directory and printed absolute", async () => {
  const { one, two, env } = sandbox();
  const scenario = "data dir: relative";
  const flag = await runCli(["--data-dir", "here", "tenant", "create", "rel", "--json"], {
    env,
    cwd: one,
    scenario,
  });
  assert.equal(flag.status, 0, flag.stderr);
  assert.equal(printed(flag.stderr), join(one, "here"));
  assert.ok(existsSync(join(one, "here", "tessera.sqlite")));
  // The same directory named from elsewhere, through the environment: the same data.
  const fromEnv = await runCli(["tenant", "list", "--json"], {
    env: { ...env, TESSERA_DATA_DIR: "../../one/here" },
    cwd: two,
    scenario,
  });
  assert.equal(printed(fromEnv.stderr), join(one, "here"));
  assert.match(fromEnv.stdout, /"rel"/);
  assert.doesNotThrow(() => JSON.parse(fromEnv.stdout), "stdout stays pure JSON");
});

test("a relative dataDir in a config file is relative to that file, not to the working directory", async () => {
  const { root, one, env } = sandbox();
  const etc = join(root, "etc");
  mkdirSync(etc);
  writeFileSync(join(etc, "tessera.json"), JSON.stringify({ dataDir: "state" }));
  const r = await runCli(["--config", join(etc, "tessera.json"), "tenant", "list"], {
    env,
    cwd: one,
    scenario: "data dir: config file",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(printed(r.stderr), join(etc, "state"));
  assert.deepEqual(readdirSync(one), []);
});
