import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { openDatabase } from "../src/storage/database.ts";
import { runCli } from "./helpers/run-cli.ts";

/**
 * `tessera radius client add|list|remove`: the secret comes from standard input, never from the
 * command line; the same checks as the API; a key rotation re-encrypts the sealed secrets.
 */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-radius-cli-"));
const env = { TESSERA_LOG_LEVEL: "silent" };
const cli = (args: string[], input?: string) =>
  runCli(["--data-dir", dataDir, ...args], {
    env,
    scenario: "radius clients: cli",
    ...(input === undefined ? {} : { input }),
  });
const secret = "k8Vq2rT9xLm4pZ7wNc3bHs6d";

async function sealedSecrets(): Promise<string[]> {
  const database = await openDatabase({ dataDir });
  try {
    const rows = await database.db.selectFrom("radius_clients").select("secret_enc").execute();
    return rows.map((r) => r.secret_enc);
  } finally {
    await database.close();
  }
}

before(async () => {
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
  assert.equal((await cli(["tenant", "create", "globex"])).status, 0);
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("add reads the secret from standard input, list never shows it, remove deletes; each change is audited", async () => {
  const added = await cli(
    ["radius", "client", "add", "--tenant", "acme", "--name", "vpn-1", "--address", "192.0.2.0/28", "--json"],
    `${secret}\n`,
  );
  assert.equal(added.status, 0, added.stderr);
  assert.ok(!added.stdout.includes(secret) && !added.stderr.includes(secret), "the secret is never printed");
  const client = JSON.parse(added.stdout).client as {
    id: string;
    address: string;
    requireMessageAuthenticator: boolean;
  };
  assert.equal(client.address, "192.0.2.0/28");
  assert.equal(client.requireMessageAuthenticator, true);
  const [sealed] = await sealedSecrets();
  assert.ok(sealed !== undefined && !sealed.includes(secret));

  const legacy = await cli(
    [
      "radius",
      "client",
      "add",
      "--tenant",
      "acme",
      "--name",
      "old-switch",
      "--address",
      "2001:db8::7",
      "--no-message-authenticator",
    ],
    secret,
  );
  assert.equal(legacy.status, 0, legacy.stderr);
  assert.match(legacy.stderr, /warning: .*without Message-Authenticator.*BlastRADIUS/);

  const listed = await cli(["radius", "client", "list", "--tenant", "acme"]);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /^ID +NAME +ADDRESS +MESSAGE-AUTHENTICATOR +CREATED\n/);
  assert.match(listed.stdout, /vpn-1 +192\.0\.2\.0\/28 +required/);
  assert.match(listed.stdout, /old-switch +2001:db8::7 +optional/);
  assert.ok(!listed.stdout.includes(secret));
  const json = JSON.parse((await cli(["radius", "client", "list", "--tenant", "acme", "--json"])).stdout);
  assert.equal(json.clients.length, 2);
  assert.ok(!JSON.stringify(json).includes("secret"));
  assert.deepEqual(
    JSON.parse((await cli(["radius", "client", "list", "--tenant", "globex", "--json"])).stdout).clients,
    [],
  );

  const foreign = await cli(["radius", "client", "remove", client.id, "--tenant", "globex", "--json"]);
  assert.equal(foreign.status, 1);
  assert.equal(JSON.parse(foreign.stdout).errorCode, TesseraApiCode.NotFound);
  const removed = await cli(["radius", "client", "remove", client.id, "--tenant", "acme"]);
  assert.equal(removed.status, 0, removed.stderr);
  const again = await cli(["radius", "client", "remove", client.id, "--tenant", "acme", "--json"]);
  assert.equal(again.status, 1);
  assert.equal(JSON.parse(again.stdout).errorCode, TesseraApiCode.NotFound);

  const database = await openDatabase({ dataDir });
  try {
    const ops = await database.db
      .selectFrom("audit_events")
      .select("operation")
      .where("operation", "like", "radius.client.%")
      .orderBy("seq")
      .execute();
    assert.deepEqual(
      ops.map((o) => o.operation),
      ["radius.client.add", "radius.client.add", "radius.client.remove"],
    );
  } finally {
    await database.close();
  }
});

test("the secret is never a command-line argument; short secrets and bad addresses are refused", async () => {
  const argument = await cli(
    [
      "radius",
      "client",
      "add",
      "--tenant",
      "acme",
      "--name",
      "x",
      "--address",
      "192.0.2.99",
      "--secret",
      secret,
    ],
    secret,
  );
  assert.equal(argument.status, 1);
  assert.match(argument.stderr, /unknown option '--secret'/);
  for (const [input, pattern] of [
    // Each refusal says how to make a good secret; an empty input says that nothing was read.
    ["short-secret\n", /16–128 printable ASCII.*openssl rand -base64 24/],
    ["", /^no shared secret on standard input: .*openssl rand -base64 24/],
    ["has spaces in the secret\n", /16–128 printable ASCII.*openssl rand -base64 24/],
  ] as const) {
    const refused = await cli(
      ["radius", "client", "add", "--tenant", "acme", "--name", "x", "--address", "192.0.2.99", "--json"],
      input,
    );
    assert.equal(refused.status, 1, input);
    const envelope = JSON.parse(refused.stdout);
    assert.equal(envelope.errorCode, TesseraApiCode.MalformedRequest);
    assert.match(envelope.errorMessage, pattern);
  }
  const wide = await cli(
    ["radius", "client", "add", "--tenant", "acme", "--name", "x", "--address", "0.0.0.0/0", "--json"],
    secret,
  );
  assert.equal(wide.status, 1);
  assert.match(JSON.parse(wide.stdout).errorMessage, /^address is wider than \/8/);
  const overlap = await cli(
    ["radius", "client", "add", "--tenant", "globex", "--name", "x", "--address", "2001:db8::/64", "--json"],
    secret,
  );
  assert.equal(overlap.status, 1);
  assert.equal(JSON.parse(overlap.stdout).errorCode, TesseraApiCode.RadiusClientAddressTaken);
});

test("a key rotation re-encrypts the sealed secrets under the new key", async () => {
  const before = await sealedSecrets();
  assert.ok(before.length > 0);
  const rotated = await cli(["keys", "rotate"]);
  assert.equal(rotated.status, 0, rotated.stderr);
  const keys = JSON.parse((await cli(["keys", "list", "--json"])).stdout).keys as {
    id: string;
    active: boolean;
  }[];
  const active = keys.find((k) => k.active)?.id;
  for (const sealed of await sealedSecrets())
    assert.equal(sealed.split(":")[1], active, "moved to the active key");
  const listed = await cli(["radius", "client", "list", "--tenant", "acme", "--json"]);
  assert.equal(listed.status, 0, listed.stderr);
});
