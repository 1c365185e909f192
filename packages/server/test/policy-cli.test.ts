import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { openDatabase } from "../src/storage/database.ts";
import { runCli } from "./helpers/run-cli.ts";

/** `tessera policy show|set|delete`: the operator's side of /v1/policies, with the API's checks. */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-policy-cli-"));
const cli = (args: string[], input?: string) =>
  runCli(["--data-dir", dataDir, ...args], {
    scenario: "policies: cli",
    ...(input === undefined ? {} : { input }),
  });
const policyFile = (name: string, policy: unknown) => {
  const file = join(dataDir, name);
  writeFileSync(file, JSON.stringify(policy));
  return file;
};
const policy = {
  timeOfDay: { timeZone: "Europe/Berlin", windows: [{ start: "08:00", end: "18:00" }], mode: "enforce" },
  dailyAllowance: { maxSignIns: 10, timeZone: "UTC", mode: "log" },
};

before(async () => {
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
  assert.equal((await cli(["tenant", "create", "globex"])).status, 0);
  // The apps commands are another part's: the app row is written directly, as its store would.
  const database = await openDatabase({ dataDir });
  try {
    const globex = await database.db
      .selectFrom("tenants")
      .select("id")
      .where("name", "=", "globex")
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto("sso_apps")
      .values({
        client_id: "globex-app",
        tenant_id: globex.id,
        name: "Globex",
        kind: "native",
        secret_enc: null,
        redirect_uris: "[]",
        post_logout_redirect_uris: "[]",
        grant_types: "[]",
        scopes: "openid",
        second_factors: "[]",
        require_second_factor: 0,
        first_party: 1,
        created_at: Date.now(),
        updated_at: Date.now(),
      })
      .execute();
  } finally {
    await database.close();
  }
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("set, show and delete the tenant-wide policy and an app's; each change is audited", async () => {
  const set = await cli([
    "policy",
    "set",
    "--tenant",
    "acme",
    "--file",
    policyFile("p.json", policy),
    "--json",
  ]);
  assert.equal(set.status, 0, set.stderr);
  const shown = await cli(["policy", "show", "--tenant", "acme", "--json"]);
  const view = JSON.parse(shown.stdout).policy;
  assert.deepEqual(view.timeOfDay, policy.timeOfDay);
  assert.equal(view.onError, "deny");
  assert.match(view.updatedAt, /Z$/);
  const text = await cli(["policy", "show", "--tenant", "acme"]);
  assert.match(text.stdout, /^tenant-wide policy, on error: deny\n/);
  assert.match(text.stdout, /daysOfWeek: -\n/);

  const fromStdin = await cli(
    ["policy", "set", "--tenant", "globex", "--app", "globex-app", "--file", "-"],
    JSON.stringify({ ...policy, onError: "ignore" }),
  );
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assert.match(fromStdin.stdout, /^policy of app globex-app, on error: ignore/);

  assert.equal((await cli(["policy", "delete", "--tenant", "acme"])).status, 0);
  const gone = await cli(["policy", "show", "--tenant", "acme", "--json"]);
  assert.equal(gone.status, 1);
  assert.equal(JSON.parse(gone.stdout).errorCode, TesseraApiCode.NotFound);
  const database = await openDatabase({ dataDir });
  try {
    const events = await database.db
      .selectFrom("audit_events")
      .select(["operation", "subject"])
      .where("operation", "like", "policy.%")
      .orderBy("seq")
      .execute();
    assert.deepEqual(
      events.map((e) => `${e.operation} ${e.subject}`),
      ["policy.set policy:tenant", "policy.set policy:app:globex-app", "policy.delete policy:tenant"],
    );
  } finally {
    await database.close();
  }
});

test("another tenant's app is NotFound; malformed policies are refused naming the field", async () => {
  const other = await cli(["policy", "show", "--tenant", "acme", "--app", "globex-app", "--json"]);
  assert.equal(other.status, 1);
  assert.equal(JSON.parse(other.stdout).errorCode, TesseraApiCode.NotFound);
  const cases: [unknown, RegExp][] = [
    [
      { dailyAllowance: { maxSignIns: 2 ** 53, timeZone: "UTC", mode: "enforce" } },
      /dailyAllowance\.maxSignIns/,
    ],
    [{ dailyAllowance: { maxSignIns: 1.5, timeZone: "UTC", mode: "enforce" } }, /dailyAllowance\.maxSignIns/],
    [{ timeOfDay: { ...policy.timeOfDay, timeZone: "Mars/Olympus_Mons" } }, /body\.timeOfDay\.timeZone/],
    [{ clientAddresses: { ranges: ["300.1.1.1"], mode: "enforce" } }, /body\.clientAddresses\.ranges\.0/],
    [{ weekends: true }, /weekends is not a known field/],
  ];
  for (const [body, message] of cases) {
    const r = await cli(["policy", "set", "--tenant", "acme", "--file", policyFile("bad.json", body)]);
    assert.equal(r.status, 1, JSON.stringify(body));
    assert.match(r.stderr, /MalformedRequest \(9900\)/);
    assert.match(r.stderr, message);
  }
  const notJson = await cli(["policy", "set", "--tenant", "acme", "--file", "-"], "{nope");
  assert.match(notJson.stderr, /not JSON/);
});
