import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe as suite, test } from "node:test";
import fc from "fast-check";
import { KeyService } from "../src/secrets/key-service.ts";
import { generateMasterKey, writeKeyringFile } from "../src/secrets/keyring.ts";
import { runCli } from "./helpers/run-cli.ts";
import { startServerProcess } from "./helpers/server-process.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer } from "./helpers/test-server.ts";

const cli = new URL("../bin/tessera.js", import.meta.url).pathname;

suite("key service", () => {
  const keyring = () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-keys-"));
    const key = generateMasterKey();
    return writeKeyringFile(join(dir, "keyring.json"), key.id, [key]);
  };

  test("AES-256-GCM round trip for any plaintext, tagged with the key id", () => {
    const keys = new KeyService(keyring());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.string(), (plaintext, aad) => {
        const sealed = keys.encrypt(Buffer.from(plaintext), aad);
        assert.equal(KeyService.keyIdOf(sealed), keys.activeKeyId);
        assert.deepEqual(keys.decrypt(sealed, aad), Buffer.from(plaintext));
      }),
    );
  });

  test("a ciphertext opens only with its key, its associated data, and unaltered", () => {
    const keys = new KeyService(keyring());
    const sealed = keys.encrypt("seed", "table.column:row-1");
    assert.throws(() => keys.decrypt(sealed, "table.column:row-2"), /does not open/);
    const parts = sealed.split(":");
    const data = Buffer.from(parts[3] ?? "", "base64url");
    data[0] = (data[0] ?? 0) ^ 1;
    assert.throws(
      () => keys.decrypt([...parts.slice(0, 3), data.toString("base64url")].join(":"), "table.column:row-1"),
      /does not open/,
    );
    const other = new KeyService(keyring());
    assert.throws(() => other.decrypt(sealed, "table.column:row-1"), /missing from the keyring/);
  });
});

suite("master keys fail closed at start", () => {
  const start = (dataDir: string) =>
    spawnSync(process.execPath, [cli, "--data-dir", dataDir, "audit", "verify"], {
      encoding: "utf8",
      env: { ...process.env, TESSERA_LOG_LEVEL: "silent" },
    });

  test("first start creates a 0600 keyring; a missing, wrong or exposed keyring then refuses to start", async () => {
    const server = await startServerProcess();
    const dataDir = String(server.logs.find((l) => l.msg === "tessera listening")?.database ?? "").replace(
      /\/tessera\.sqlite$/,
      "",
    );
    assert.equal(await server.stop(), 0);
    const file = join(dataDir, "keyring.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(
      statSync(join(dataDir, "tessera.sqlite")).mode & 0o777,
      0o600,
      "the database file is private too",
    );
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const original = readFileSync(file, "utf8");
    assert.equal(start(dataDir).status, 0);

    const { active } = JSON.parse(original) as { active: string };
    writeFileSync(
      file,
      JSON.stringify({ active, keys: [{ id: active, key: generateMasterKey().key.toString("base64") }] }),
      { mode: 0o600 },
    );
    const wrong = start(dataDir);
    assert.equal(wrong.status, 1);
    assert.match(
      wrong.stderr,
      new RegExp(`master key ${active} is not the key this database was encrypted with`),
    );
    assert.doesNotMatch(wrong.stderr, /at .*\.ts:\d+/, "no stack trace");

    writeFileSync(file, original, { mode: 0o600 });
    chmodSync(file, 0o644);
    assert.match(start(dataDir).stderr, /readable by other users/);

    chmodSync(file, 0o600);
    rmSync(file);
    const missing = start(dataDir);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no master key: .*keyring\.json does not exist/);
  });
});

test("TESSERA_MASTER_KEY instead of a keyring file: no file is written; a new key first, then reencrypt", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-envkey-"));
  const first = generateMasterKey();
  const second = generateMasterKey();
  const entry = (k: typeof first) => `${k.id}:${k.key.toString("base64")}`;
  const run = (keys: string, args: string[]) =>
    runCli(["--data-dir", dataDir, ...args], {
      env: { TESSERA_MASTER_KEY: keys, TESSERA_LOG_LEVEL: "silent" },
      scenario: "keys: environment",
    });
  assert.equal((await run(entry(first), ["tenant", "create", "envkey"])).status, 0);
  assert.equal(existsSync(join(dataDir, "keyring.json")), false);
  const both = `${entry(second)},${entry(first)}`;
  const moved = await run(both, ["keys", "reencrypt"]);
  assert.match(moved.stdout, new RegExp(`1 secrets re-encrypted under ${second.id}`));
  assert.equal((await run(entry(second), ["audit", "verify"])).status, 0, "the old key is no longer needed");
  const without = await run(entry(generateMasterKey()), ["audit", "verify"]);
  assert.equal(without.status, 1);
  assert.match(without.stderr, /missing: secrets in the database still need it/);
});

for (const backend of backends) {
  suite(`key rotation (${backend})`, () => {
    test("rotate while a server runs: it keeps serving, every secret moves to the new key, the old one retires", async () => {
      const s = await startTestServer(backend);
      try {
        const { dataDir, databaseUrl } = s.server.ctx.config;
        const data = [
          "--data-dir",
          dataDir,
          ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
        ];
        const env = { TESSERA_LOG_LEVEL: "silent" };
        const { apiKey } = await s.tenant();
        await s.api("POST", "/v1/users", { apiKey, body: { username: "rot" }, scenario: "keys: setup" });
        const sessionBody = { username: "rot", durationMinutes: 5, type: "web" };
        const headers = { "idempotency-key": "before-rotation" };
        const stored = await s.api("POST", "/v1/sessions", {
          apiKey,
          body: sessionBody,
          headers,
          scenario: "keys: secret before rotation",
        });
        const before = JSON.parse(
          (await runCli([...data, "keys", "list", "--json"], { env, scenario: "keys: list" })).stdout,
        ).keys as { id: string }[];
        const rotated = await runCli([...data, "keys", "rotate"], { env, scenario: "keys: rotate" });
        assert.equal(rotated.status, 0, rotated.stderr);
        assert.match(rotated.stderr, /re-encrypting: 100%/);
        assert.equal(
          (await s.api("GET", "/v1/tenant", { apiKey, scenario: "keys: served during rotation" })).status,
          200,
        );
        const replayed = await s.api("POST", "/v1/sessions", {
          apiKey,
          body: sessionBody,
          headers,
          scenario: "keys: secret after rotation",
        });
        assert.equal(replayed.headers.get("idempotent-replayed"), "true");
        assert.equal(
          replayed.body.sessionToken,
          stored.body.sessionToken,
          "a secret re-encrypted under the new key still opens",
        );
        const after = JSON.parse(
          (await runCli([...data, "keys", "list", "--json"], { env, scenario: "keys: list" })).stdout,
        ).keys as { id: string; active: boolean; secrets: number }[];
        assert.equal(after.length, 2);
        const old = after.find((k) => k.id === before[0]?.id);
        const fresh = after.find((k) => k.active);
        assert.equal(old?.secrets, 0);
        assert.ok((fresh?.secrets ?? 0) >= 2, "the signing key and the stored response moved to the new key");
        const retired = await runCli([...data, "keys", "retire", old?.id ?? ""], {
          env,
          scenario: "keys: retire",
        });
        assert.equal(retired.status, 0, retired.stderr);
        const refused = await runCli([...data, "keys", "retire", fresh?.id ?? ""], {
          env,
          scenario: "keys: retire active",
        });
        assert.equal(refused.status, 1);
        const verified = await runCli([...data, "audit", "verify"], {
          env,
          scenario: "keys: start after rotation",
        });
        assert.equal(verified.status, 0, verified.stderr);
      } finally {
        await s.close();
      }
    });
  });
}
