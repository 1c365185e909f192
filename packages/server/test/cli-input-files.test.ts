import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCli } from "./helpers/run-cli.ts";

/**
 * Files the operator names on the command line: one that cannot be read is a clear error naming
 * the file (MalformedRequest, exit 1, no stack trace), and a CSV saved by Excel as "CSV UTF-8"
 * (with a byte-order mark) reads like any other.
 */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-cli-input-files-"));
const cli = (args: string[]) =>
  runCli(["--data-dir", dataDir, ...args], {
    env: { TESSERA_LINK_SANDBOX: "on" },
    scenario: "cli: input files",
  });
const missing = join(dataDir, "nonexistent.csv");
const BOM = "\uFEFF";

before(async () => {
  assert.equal((await cli(["tenant", "create", "files"])).status, 0);
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

const unreadable: [string, string[]][] = [
  ["link site import", ["link", "site", "import", missing]],
  ["link site update --tls-ca-file", ["link", "site", "update", "sandbox-bank", "--tls-ca-file", missing]],
  ["user import", ["user", "import", "--tenant", "files", missing]],
  ["token import", ["token", "import", "--tenant", "files", missing]],
];
for (const [name, args] of unreadable) {
  test(`${name} with a file that does not exist: a clear error naming it, no stack trace`, async () => {
    const r = await cli(args);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^tessera: MalformedRequest \(9900\): cannot read .*nonexistent\.csv: no such file$/m,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    const json = await cli([...args, "--json"]);
    assert.equal(json.status, 1);
    assert.match(json.stdout, /^\{"errorCode":9900,.*nonexistent\.csv/);
  });
}

test("a site CSV with a UTF-8 byte-order mark (Excel's CSV UTF-8) is imported", async () => {
  const file = join(dataDir, "bom-sites.csv");
  writeFileSync(
    file,
    `${BOM}id,name,organisation,kind,url,org,fid\r\nbom-bank,BOM Bank,BOM Bank,personal-banking,https://ofx.bom.example/ofx,BOM,1\r\n`,
  );
  const r = await cli(["link", "site", "import", file, "--json"]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(
    (JSON.parse(r.stdout) as { results: { id: string; outcome: string }[] }).results.map((x) => [
      x.id,
      x.outcome,
    ]),
    [["bom-bank", "created"]],
  );
});

test("a site JSON file with a byte-order mark is imported", async () => {
  const file = join(dataDir, "bom-sites.json");
  const site = { id: "bom-json", name: "BOM", organisation: "BOM", kind: "personal-banking" };
  writeFileSync(
    file,
    `${BOM}${JSON.stringify([{ ...site, url: "https://ofx.bom.example/j", options: { org: "B", fid: "2" } }])}`,
  );
  const r = await cli(["link", "site", "import", file, "--json"]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /"outcome": "created"/);
});

test("a user CSV with a UTF-8 byte-order mark is imported", async () => {
  const file = join(dataDir, "bom-users.csv");
  writeFileSync(file, `${BOM}username,email\r\nbom-user,bom@example.com\r\n`);
  const r = await cli(["user", "import", "--tenant", "files", file, "--json"]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const shown = await cli(["user", "list", "--tenant", "files", "--json"]);
  assert.match(shown.stdout, /"bom-user"/);
});
