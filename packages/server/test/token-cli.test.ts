import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolHotp, oathtoolTotp } from "./helpers/oathtool.ts";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const cliPath = new URL("../bin/tessera.js", import.meta.url).pathname;
const qrLines = (text: string) => text.split("\n").filter((line) => line.includes("▄") || line.includes("█"));
type Token = { serial: string; type: string; username: string | null; activated: boolean };

/**
 * Runs the real `tessera` with a terminal as its standard output (util-linux `script` allocates
 * the pseudo-terminal), as a person at a console would.
 */
async function runInTerminal(args: readonly string[], env: Record<string, string>): Promise<string> {
  const quoted = [process.execPath, cliPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qec", quoted, "/dev/null"], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  child.stdin.end();
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(status, 0, out);
  return out;
}

for (const backend of backends) {
  suite(`tessera token set-up commands (${backend})`, () => {
    let s: TestServer;
    let data: string[];
    const env = { TESSERA_LOG_LEVEL: "silent" };
    before(async () => {
      s = await startTestServer(backend);
      const { dataDir, databaseUrl } = s.server.ctx.config;
      data = ["--data-dir", dataDir, ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl])];
    });
    after(() => s.close());

    const cli = (args: readonly string[], scenario: string) => runCli([...data, ...args], { env, scenario });
    const newTenant = async (name: string) => {
      const r = await cli(["tenant", "create", name, "--json"], "cli: tenant create");
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout).apiKey as string;
    };

    test("token create prints serial, URI and secret into a pipe (no QR); a code from oathtool activates it", async () => {
      const apiKey = await newTenant("phone-co");
      await s.api("POST", "/v1/users", { apiKey, body: { username: "bob" }, scenario: "cli: setup" });
      const created = await cli(
        ["token", "create", "--tenant", "phone-co", "--type", "totp", "--username", "bob"],
        "cli: token create",
      );
      assert.equal(created.status, 0, created.stderr);
      const serial = /^token (TOTP[0-9A-F]{10}) created/m.exec(created.stdout)?.[1] ?? "";
      assert.notEqual(serial, "", created.stdout);
      const uri = /^otpauth URI: (otpauth:\/\/\S+)$/m.exec(created.stdout)?.[1] ?? "";
      assert.equal(decodeURIComponent(new URL(uri).pathname), "/phone-co:bob");
      const secret = /^secret \(base32\): ([A-Z2-7]+)$/m.exec(created.stdout)?.[1] ?? "";
      assert.equal(secret, new URL(uri).searchParams.get("secret"));
      assert.equal(qrLines(created.stdout).length, 0, "no QR code into a pipe");
      assert.ok(
        created.stdout.includes(`tessera token activate --tenant phone-co ${serial} <code>`),
        created.stdout,
      );

      const hex = (decodeBase32(secret) ?? Buffer.alloc(0)).toString("hex");
      // The CLI runs on the real clock, so the code is computed for now.
      const code = oathtoolTotp(hex, Date.now());
      const pair = await cli(
        ["token", "activate", "--tenant", "phone-co", serial, code, code, "--json"],
        "cli: token activate with the wrong number of codes",
      );
      assert.equal(pair.status, 1);
      assert.equal(JSON.parse(pair.stdout).errorCode, TesseraApiCode.MalformedRequest);
      assert.match(JSON.parse(pair.stdout).errorMessage, /one code/);
      const activated = await cli(
        ["token", "activate", "--tenant", "phone-co", serial, code],
        "cli: token activate",
      );
      assert.equal(activated.status, 0, activated.stderr);
      assert.match(activated.stdout, new RegExp(`token ${serial} activated`));
      const again = await cli(
        ["token", "activate", "--tenant", "phone-co", serial, code, "--json"],
        "cli: token activate replayed",
      );
      assert.equal(again.status, 1);
      assert.equal(
        JSON.parse(again.stdout).errorCode,
        ApiReturnCode.DeviceAlreadyProvisioned,
        "an active token takes no activation code",
      );
      assert.match(JSON.parse(again.stdout).errorMessage, new RegExp(`/v1/authenticators/${serial}/resync`));

      // A phone whose clock ran five minutes ahead: its codes are out of the validation window, and
      // two consecutive ones resynchronise the token, after which its next code is accepted.
      const ahead = (steps: number) => oathtoolTotp(hex, Date.now() + steps * 30_000);
      const drifted = await cli(
        ["token", "resync", "--tenant", "phone-co", serial, "000000", "000001", "--json"],
        "cli: token resync wrong",
      );
      assert.equal(drifted.status, 1);
      assert.equal(JSON.parse(drifted.stdout).errorCode, ApiReturnCode.OTPInvalid);
      const resynced = await cli(
        ["token", "resync", "--tenant", "phone-co", serial, ahead(10), ahead(11)],
        "cli: token resync",
      );
      assert.equal(resynced.status, 0, resynced.stdout + resynced.stderr);
      assert.match(resynced.stdout, new RegExp(`token ${serial} resynchronised`));
      const drift = await cli(["token", "show", "--tenant", "phone-co", serial, "--json"], "cli: token show");
      assert.ok((JSON.parse(drift.stdout).authenticator as { drift: number }).drift >= 9, drift.stdout);

      const shown = await cli(["token", "show", "--tenant", "phone-co", serial, "--json"], "cli: token show");
      const token = JSON.parse(shown.stdout).authenticator as Token;
      assert.deepEqual([token.serial, token.username, token.activated], [serial, "bob", true]);
      assert.doesNotMatch(shown.stdout, new RegExp(secret), "never the secret");
      const user = await cli(["user", "show", "bob", "--tenant", "phone-co"], "cli: user show");
      assert.match(user.stdout, new RegExp(`^  ${serial} +totp +bob +enabled +activated$`, "m"));
      const userJson = await cli(["user", "show", "bob", "--tenant", "phone-co", "--json"], "cli: user show");
      assert.deepEqual(
        (JSON.parse(userJson.stdout).authenticators as Token[]).map((t) => t.serial),
        [serial],
      );

      await newTenant("phone-other");
      for (const args of [
        ["token", "show", "--tenant", "phone-other", serial, "--json"],
        ["token", "activate", "--tenant", "phone-other", serial, code, "--json"],
      ]) {
        const refused = await cli(args, "cli: another tenant's token");
        assert.equal(refused.status, 1);
        assert.equal(JSON.parse(refused.stdout).errorCode, ApiReturnCode.DeviceNotFound);
      }
    });

    test("token activate refuses a disabled user's new token as validation would, and takes the code once enabled", async () => {
      const apiKey = await newTenant("held-co");
      await s.api("POST", "/v1/users", { apiKey, body: { username: "dora" }, scenario: "cli: setup" });
      const created = await cli(
        ["token", "create", "--tenant", "held-co", "--type", "hotp", "--username", "dora", "--json"],
        "cli: token create",
      );
      const { serial, provisioningUri } = JSON.parse(created.stdout) as {
        serial: string;
        provisioningUri: string;
      };
      const secret = new URL(provisioningUri).searchParams.get("secret") ?? "";
      const code = oathtoolHotp((decodeBase32(secret) ?? Buffer.alloc(0)).toString("hex"), 0);
      await s.api("PATCH", "/v1/users/dora", { apiKey, body: { disabled: true }, scenario: "cli: setup" });
      const activate = () =>
        cli(
          ["token", "activate", "--tenant", "held-co", serial, code, "--json"],
          "cli: token activate for a disabled user",
        );
      const refused = await activate();
      assert.equal(refused.status, 1);
      assert.equal(JSON.parse(refused.stdout).errorCode, ApiReturnCode.PartnerUserLoginDisabled);
      await s.api("PATCH", "/v1/users/dora", { apiKey, body: { disabled: false }, scenario: "cli: setup" });
      const done = await activate();
      assert.equal(done.status, 0, done.stdout);
      assert.equal((JSON.parse(done.stdout).authenticator as Token).activated, true);
    });

    test("token create draws the QR code only on a terminal", async () => {
      await newTenant("tty-co");
      const out = await runInTerminal(
        [...data, "token", "create", "--tenant", "tty-co", "--type", "hotp"],
        env,
      );
      assert.ok(qrLines(out).length >= 10, "a QR code is drawn");
      assert.match(out, /otpauth URI: otpauth:\/\/hotp\/tty-co:HOTP[0-9A-F]{10}\?secret=/);
      assert.match(out, /secret \(base32\): [A-Z2-7]{32}/);
    });

    test("token list pages through every token, and filters by user and type", async () => {
      const apiKey = await newTenant("many-co");
      await s.api("POST", "/v1/users", { apiKey, body: { username: "kim" }, scenario: "cli: setup" });
      const created: string[] = [];
      // More than the largest page (200): the list must not stop at one page.
      for (let batch = 0; batch < 5; batch += 1) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            s.api("POST", "/v1/authenticators", {
              apiKey,
              body: {
                type: i % 2 === 0 ? "totp" : "hotp",
                secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                ...(batch === 0 && i < 3 ? { username: "kim" } : {}),
              },
              scenario: "cli: setup",
            }),
          ),
        );
        created.push(...answers.map((r) => (r.body.authenticator as Token).serial));
      }
      const list = async (...extra: string[]) => {
        const r = await cli(["token", "list", "--tenant", "many-co", ...extra, "--json"], "cli: token list");
        assert.equal(r.status, 0, r.stderr);
        return (JSON.parse(r.stdout).authenticators as Token[]).map((t) => t.serial);
      };
      assert.deepEqual(await list(), [...created].sort());
      assert.deepEqual(await list("--username", "kim"), created.slice(0, 3).sort());
      assert.equal((await list("--type", "hotp")).length, 125);
      const lines = await cli(["token", "list", "--tenant", "many-co"], "cli: token list");
      assert.equal(lines.stdout.trim().split("\n").length, 251, "a header and every token");
      const unknown = await cli(
        ["token", "list", "--tenant", "many-co", "--username", "nobody", "--json"],
        "cli: token list unknown user",
      );
      assert.equal(JSON.parse(unknown.stdout).errorCode, ApiReturnCode.InvalidPartnerUserLogin);
    });
  });
}
