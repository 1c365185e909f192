import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { renderConfiguration } from "../src/config/render-configuration.ts";
import { settings } from "../src/config/settings.ts";
import { runCli } from "./helpers/run-cli.ts";

test("docs/configuration.md is exactly what the settings table generates (npm run docs:config)", () => {
  assert.equal(
    readFileSync(new URL("../../../docs/configuration.md", import.meta.url), "utf8"),
    renderConfiguration(),
  );
});

test("defaults: every setting with a default is present at its path", () => {
  const config = loadConfig({ env: {} }) as unknown as Record<string, Record<string, unknown>>;
  for (const s of settings) {
    const [group, leaf] = s.path.split(".");
    const value = leaf === undefined ? config[group as string] : config[group as string]?.[leaf];
    assert.equal(value, s.path === "dataDir" ? config.dataDir : s.default, s.path);
  }
});

test("precedence: flags over environment over file over defaults", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-config-"));
  const file = join(dir, "tessera.json");
  writeFileSync(file, JSON.stringify({ port: 9001, host: "0.0.0.0", smtp: { host: "mail.file" } }));
  const config = loadConfig({
    file,
    env: { TESSERA_PORT: "9002", TESSERA_SMTP_HOST: "mail.env" },
    flags: { port: "9003" },
  });
  assert.equal(config.port, 9003);
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.smtp.host, "mail.env");
});

test("every problem is reported at once, naming the setting and its source, never a secret", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-config-"));
  const file = join(dir, "tessera.json");
  writeFileSync(file, JSON.stringify({ prot: 1, smtp: { port: "x" } }));
  try {
    loadConfig({
      file,
      env: {
        TESSERA_PORT: "70000",
        TESSERA_DATABASE_URL: "mysql://u:hunter2@h/db",
        TESSERA_LOG_LEVEL: "loud",
      },
    });
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const text = error.message;
    assert.match(text, /unknown setting "prot"/);
    assert.match(text, /port \(TESSERA_PORT\) must be an integer from 0 to 65535, got "70000"/);
    assert.match(text, /smtp\.port \(.*tessera\.json\) must be an integer/);
    assert.match(text, /logLevel \(TESSERA_LOG_LEVEL\) must be one of/);
    assert.match(
      text,
      /databaseUrl \(TESSERA_DATABASE_URL\) must be a URL \(postgres: or postgresql:\), got \(value hidden\)/,
    );
    assert.doesNotMatch(text, /hunter2/);
  }
});

test("any environment value either loads or fails with a ConfigError, never anything else", () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom(...settings.map((s) => s.env)), fc.string({ maxLength: 60 })),
      (env) => {
        try {
          loadConfig({ env });
        } catch (error) {
          assert.ok(error instanceof ConfigError, String(error));
        }
      },
    ),
  );
});

test("the removed trustProxy setting stops the start, from the environment or a file, pointing to trustedProxies", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-config-"));
  const file = join(dir, "tessera.json");
  writeFileSync(file, JSON.stringify({ trustProxy: true }));
  const hint =
    /trustProxy was replaced by trustedProxies \(TESSERA_TRUSTED_PROXIES\): list your proxies' addresses or CIDR ranges/;
  for (const sources of [{ env: { TESSERA_TRUST_PROXY: "1" } }, { env: {}, file }]) {
    assert.throws(
      () => loadConfig(sources),
      (error) =>
        error instanceof ConfigError && hint.test(error.message) && !/unknown setting/.test(error.message),
      JSON.stringify(sources),
    );
  }
  // A value that turns it off is still the old name: the operator must learn that it is gone.
  assert.throws(() => loadConfig({ env: { TESSERA_TRUST_PROXY: "false" } }), hint);
  // The real command refuses to start rather than listen trusting nothing behind a proxy.
  const started = await runCli(["start", "--port", "0", "--data-dir", dir], {
    env: { TESSERA_TRUST_PROXY: "1", TESSERA_LOG_LEVEL: "silent" },
    scenario: "config: removed trustProxy",
  });
  assert.equal(started.status, 1);
  assert.match(started.stderr, hint);
});

test("radius.codeLength is 0, 6 or 8: any other length could never split off a code and would count every sign-in as a wrong password", () => {
  for (const length of ["1", "5", "7"])
    assert.throws(
      () => loadConfig({ env: { TESSERA_RADIUS_CODE_LENGTH: length } }),
      (error) =>
        error instanceof ConfigError &&
        new RegExp(
          `radius\\.codeLength \\(TESSERA_RADIUS_CODE_LENGTH\\) must be 0, 6 or 8 .*got ${length}`,
        ).test(error.message),
      length,
    );
  for (const length of [0, 6, 8])
    assert.equal(
      loadConfig({ env: { TESSERA_RADIUS_CODE_LENGTH: String(length) } }).radius.codeLength,
      length,
    );
});
