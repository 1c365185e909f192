import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { renderConfiguration } from "../src/config/render-configuration.ts";
import { settings } from "../src/config/settings.ts";

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
