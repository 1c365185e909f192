import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defaultDataDir } from "../src/config/data-dir.ts";
import { runCli } from "./helpers/run-cli.ts";
import { createTestDatabase } from "./helpers/test-database.ts";

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
  const r = await runCli(["tenant", "create", "xdg"], {
    env: { ...env, XDG_DATA_HOME: xdg },
    cwd: one,
    scenario,
  });
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
  const r = await runCli(["--config", join(etc, "tessera.json"), "tenant", "create", "configured"], {
    env,
    cwd: one,
    scenario: "data dir: config file",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(printed(r.stderr), join(etc, "state"));
  assert.deepEqual(readdirSync(one), []);
});

test("a relative HOME is ignored like a relative XDG_DATA_HOME: the account's home from the system, absolute", async () => {
  const expected = join(userInfo().homedir, ".local", "share", "tessera");
  assert.equal(defaultDataDir({ HOME: "rel" }), expected);
  assert.equal(defaultDataDir({ HOME: "" }), expected);
  assert.equal(
    defaultDataDir({ HOME: "/srv/home/../tessera-home" }),
    "/srv/tessera-home/.local/share/tessera",
  );
  const { one, env } = sandbox();
  // Read-only, so the account's real data home (if it holds data) is listed, never changed.
  const r = await runCli(["tenant", "list"], {
    env: { ...env, HOME: "rel" },
    cwd: one,
    scenario: "data dir: relative HOME",
  });
  assert.equal(printed(r.stderr), expected);
  assert.deepEqual(readdirSync(one), [], "nothing is written into the working directory");
});

const noData = (where: string, flag: string) =>
  new RegExp(`^tessera: no Tessera data in ${where}; start the server first, or pass ${flag}$`, "m");

test("read-only and changing commands refuse a data directory without Tessera data, and create nothing there", async () => {
  const { root, one, env } = sandbox();
  const xdg = join(root, "fresh-xdg");
  const typo = join(root, "dta");
  const commands = [
    ["tenant", "list"],
    ["user", "list", "--tenant", "acme"],
    ["token", "list", "--tenant", "acme"],
    ["keys", "list"],
    ["audit", "verify"],
    ["tenant", "disable", "acme"],
  ];
  for (const command of commands) {
    const viaXdg = await runCli(command, {
      env: { ...env, XDG_DATA_HOME: xdg },
      cwd: one,
      scenario: "data dir: no data",
    });
    assert.equal(viaXdg.status, 1, `${command.join(" ")}: ${viaXdg.stderr}`);
    assert.match(viaXdg.stderr, noData(join(xdg, "tessera"), "--data-dir"));
    const viaTypo = await runCli(["--data-dir", typo, ...command], {
      env,
      cwd: one,
      scenario: "data dir: no data",
    });
    assert.equal(viaTypo.status, 1);
    assert.match(viaTypo.stderr, noData(typo, "--data-dir"));
  }
  assert.ok(!existsSync(xdg), "no data directory was created");
  assert.ok(!existsSync(typo), "a mistyped --data-dir makes no new installation");
  assert.deepEqual(readdirSync(one), []);
  // An existing but empty directory (made by hand, or by mkdir before the first start) is no data either.
  mkdirSync(typo);
  const empty = await runCli(["--data-dir", typo, "tenant", "list"], {
    env,
    cwd: one,
    scenario: "data dir: no data",
  });
  assert.equal(empty.status, 1);
  assert.deepEqual(readdirSync(typo), [], "neither tessera.sqlite nor keyring.json is created");
  // `tenant create` sets an installation up, and then the same commands work.
  const created = await runCli(["--data-dir", typo, "tenant", "create", "acme"], {
    env,
    cwd: one,
    scenario: "data dir: first tenant",
  });
  assert.equal(created.status, 0, created.stderr);
  const listed = await runCli(["--data-dir", typo, "tenant", "list"], {
    env,
    cwd: one,
    scenario: "data dir: first tenant",
  });
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /^acme /m);
});

test("with --database-url the database decides: an empty database is no data, and no keyring is made for it", async () => {
  const database = await createTestDatabase("postgres");
  try {
    const { one, env } = sandbox();
    const keyring = join(database.dataDir, "keyring.json");
    const args = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl as string];
    const refused = await runCli([...args, "tenant", "list"], {
      env,
      cwd: one,
      scenario: "data dir: empty database",
    });
    assert.equal(refused.status, 1, refused.stderr);
    const where = `postgres://${new URL(database.databaseUrl as string).host}${new URL(database.databaseUrl as string).pathname}`;
    assert.match(refused.stderr, noData(where, "--database-url"));
    assert.ok(!existsSync(keyring), "no master key is made for a database that holds nothing");
    const created = await runCli([...args, "tenant", "create", "pgco"], {
      env,
      cwd: one,
      scenario: "data dir: empty database",
    });
    assert.equal(created.status, 0, created.stderr);
    assert.ok(existsSync(keyring));
    const listed = await runCli([...args, "tenant", "list"], {
      env,
      cwd: one,
      scenario: "data dir: empty database",
    });
    assert.equal(listed.status, 0, listed.stderr);
    // A database with data and a mistyped --data-dir: the keyring is missing, which fails closed.
    const typo = await runCli(
      ["--data-dir", join(one, "typo"), "--database-url", database.databaseUrl as string, "tenant", "list"],
      {
        env,
        cwd: one,
        scenario: "data dir: empty database",
      },
    );
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /no master key/);
    assert.ok(!existsSync(join(one, "typo")), "the mistyped directory is not created");
  } finally {
    await database.drop();
  }
});
