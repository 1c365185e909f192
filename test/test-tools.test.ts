import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, describe as suite, test } from "node:test";
import { installCommand, missingPackages } from "../scripts/lib/ensure-test-tools.ts";

/** What `npm test` installs before the suites, decided from real files in a scratch directory. */
const scratch = mkdtempSync(join(tmpdir(), "tessera-tools-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let dirs = 0;
/** A directory holding the named programs (executable shell scripts, or plain files if told). */
function dirWith(programs: string[], mode = 0o755): string {
  dirs += 1;
  const dir = join(scratch, `bin-${dirs}`);
  mkdirSync(dir, { recursive: true });
  for (const name of programs) {
    writeFileSync(join(dir, name), "#!/bin/sh\n");
    chmodSync(join(dir, name), mode);
  }
  return dir;
}

const noPostgres = join(scratch, "no-postgresql");
/** The identity client's keyring tests' programs, present in the cases about the others. */
const keyring = ["secret-tool", "gnome-keyring-daemon", "dbus-run-session"];
/** The RADIUS tests' peer (radclient and radtest come in one package). */
const radiusTools = ["radclient"];

suite("the tools the tests need", () => {
  test("with none of them on the PATH, all the packages are missing, in install order", () => {
    assert.deepEqual(missingPackages({ PATH: dirWith([]) }, noPostgres), [
      "oathtool",
      "postgresql",
      "chromium",
      "libsecret-tools",
      "gnome-keyring",
      "dbus-daemon",
      "freeradius-utils",
    ]);
  });

  test("radclient comes from freeradius-utils", () => {
    const path = dirWith(["oathtool", "initdb", "chromium", ...keyring]);
    assert.deepEqual(missingPackages({ PATH: path }, noPostgres), ["freeradius-utils"]);
  });

  test("programs on any PATH directory count; a file that is not executable does not", () => {
    const path = [
      dirWith(["chromium", ...keyring, ...radiusTools]),
      dirWith(["oathtool"], 0o644),
      dirWith(["initdb"]),
    ].join(delimiter);
    assert.deepEqual(missingPackages({ PATH: path }, noPostgres), ["oathtool"]);
  });

  test("initdb is found in Debian's versioned PostgreSQL directory, which is not on the PATH", () => {
    const root = join(scratch, "postgresql");
    mkdirSync(join(root, "16", "bin"), { recursive: true });
    writeFileSync(join(root, "16", "bin", "initdb"), "#!/bin/sh\n");
    chmodSync(join(root, "16", "bin", "initdb"), 0o755);
    assert.deepEqual(
      missingPackages({ PATH: dirWith(["oathtool", "chromium", ...keyring, ...radiusTools]) }, root),
      [],
    );
  });

  test("TESSERA_PG_BIN names initdb's directory; an existing database server needs no initdb", () => {
    const path = dirWith(["oathtool", "chromium", ...keyring, ...radiusTools]);
    assert.deepEqual(missingPackages({ PATH: path, TESSERA_PG_BIN: dirWith(["initdb"]) }, noPostgres), []);
    assert.deepEqual(
      missingPackages({ PATH: path, TESSERA_TEST_DATABASE_URL: "postgres://127.0.0.1/x" }, noPostgres),
      [],
    );
    assert.deepEqual(missingPackages({ PATH: path }, noPostgres), ["postgresql"]);
  });

  test("the install command: plain as root, with sudo otherwise", () => {
    assert.equal(installCommand(["oathtool"], true), "apt-get update && apt-get install -y oathtool");
    assert.equal(
      installCommand(["oathtool", "chromium"], false),
      "sudo apt-get update && sudo apt-get install -y oathtool chromium",
    );
  });

  test("without apt-get, npm test stops before any suite and names the command to run", () => {
    const script = `import { ensureTestTools } from ${JSON.stringify(new URL("../scripts/lib/ensure-test-tools.ts", import.meta.url).pathname)}; ensureTestTools(); console.log("went on");`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { PATH: dirWith([]) },
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /The tests need oathtool \(the interop peer for one-time codes\)/);
    assert.match(result.stderr, /apt-get update && (sudo )?apt-get install -y oathtool\b/);
    assert.doesNotMatch(result.stdout, /went on/);
  });
});
