import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * An app's offlineGraceHours (0 to 720, default 72) through /v1/apps and `tessera app`: set on
 * registration, changed, shown and listed; every value out of bounds or of the wrong type is a
 * 400 naming the field (the flag, on the command line), and nothing is stored.
 */
const extremes: unknown[] = [2 ** 31, 2 ** 53, -1, 1.5, "72", 721, null, true, 1e308];
const native = { name: "Desk tool", kind: "native", redirectUris: ["http://127.0.0.1/cb"] };

for (const backend of backends) {
  suite(`SSO apps: offlineGraceHours (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("72 by default; set on registration, changed, shown and listed", async () => {
      const { apiKey } = await s.tenant();
      const scenario = "apps: offline grace hours";
      const plain = await s.api("POST", "/v1/apps", { apiKey, scenario, body: native });
      assert.equal(plain.status, 201, JSON.stringify(plain.body));
      assert.equal((plain.body.app as { offlineGraceHours: number }).offlineGraceHours, 72);
      const none = await s.api("POST", "/v1/apps", {
        apiKey,
        scenario,
        body: { ...native, offlineGraceHours: 0 },
      });
      const { clientId } = none.body.app as { clientId: string; offlineGraceHours: number };
      assert.equal((none.body.app as { offlineGraceHours: number }).offlineGraceHours, 0);
      const changed = await s.api("PATCH", `/v1/apps/${clientId}`, {
        apiKey,
        scenario,
        body: { offlineGraceHours: 720 },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      const shown = await s.api("GET", `/v1/apps/${clientId}`, { apiKey, scenario });
      assert.equal((shown.body.app as { offlineGraceHours: number }).offlineGraceHours, 720);
      const listed = await s.api("GET", "/v1/apps", { apiKey, scenario });
      const hours = (listed.body.apps as { clientId: string; offlineGraceHours: number }[]).map((a) => [
        a.clientId === clientId,
        a.offlineGraceHours,
      ]);
      assert.deepEqual(
        hours.sort(),
        [
          [false, 72],
          [true, 720],
        ].sort(),
      );
    });

    test('out of bounds or not an integer (2^31, 2^53, -1, 1.5, "72", 721, null, true, 1e308): 400 naming the field, nothing stored', async () => {
      const { apiKey } = await s.tenant();
      const scenario = "apps: offline grace hours out of bounds";
      const kept = await s.api("POST", "/v1/apps", {
        apiKey,
        scenario,
        body: { ...native, offlineGraceHours: 5 },
      });
      const { clientId } = kept.body.app as { clientId: string };
      for (const value of extremes) {
        const created = await s.api("POST", "/v1/apps", {
          apiKey,
          scenario,
          body: { ...native, offlineGraceHours: value },
        });
        const patched = await s.api("PATCH", `/v1/apps/${clientId}`, {
          apiKey,
          scenario,
          body: { offlineGraceHours: value },
        });
        for (const r of [created, patched]) {
          assert.equal(r.status, 400, `${JSON.stringify(value)}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
          assert.match(r.body.errorMessage, /body\.offlineGraceHours/, r.body.errorMessage);
        }
      }
      const listed = await s.api("GET", "/v1/apps", { apiKey, scenario });
      assert.deepEqual(
        (listed.body.apps as { offlineGraceHours: number }[]).map((a) => a.offlineGraceHours),
        [5],
        "only the first app, unchanged",
      );
    });
  });
}

suite("tessera app --offline-grace-hours", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-app-grace-"));
  const cli = (args: string[]) =>
    runCli(["--data-dir", dataDir, ...args], { scenario: "apps: cli offline grace" });
  before(async () => {
    assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test("create and update set it; a bad value is refused naming the flag", async () => {
    const base = [
      "app",
      "create",
      "--tenant",
      "acme",
      "--name",
      "Desk",
      "--kind",
      "native",
      "--redirect-uri",
      "http://127.0.0.1/cb",
    ];
    const made = await cli([...base, "--offline-grace-hours", "0", "--json"]);
    assert.equal(made.status, 0, made.stderr);
    const { app } = JSON.parse(made.stdout) as { app: { clientId: string; offlineGraceHours: number } };
    assert.equal(app.offlineGraceHours, 0);
    const updated = await cli([
      "app",
      "update",
      app.clientId,
      "--tenant",
      "acme",
      "--offline-grace-hours",
      "720",
      "--json",
    ]);
    assert.equal(updated.status, 0, updated.stderr);
    assert.equal(
      (JSON.parse(updated.stdout) as { app: { offlineGraceHours: number } }).app.offlineGraceHours,
      720,
    );
    const shown = await cli(["app", "show", app.clientId, "--tenant", "acme"]);
    assert.match(shown.stdout, /offlineGraceHours\W+720/);
    for (const value of ["-1", "1.5", "721", "2147483648", "9007199254740993", "lots", ""]) {
      const r = await cli([...base, "--offline-grace-hours", value, "--json"]);
      assert.equal(r.status, 1, value);
      const answer = JSON.parse(r.stdout) as { errorCode: number; errorMessage: string };
      assert.equal(answer.errorCode, TesseraApiCode.MalformedRequest);
      assert.match(answer.errorMessage, /--offline-grace-hours/, `${value}: ${answer.errorMessage}`);
    }
    const listed = JSON.parse((await cli(["app", "list", "--tenant", "acme", "--json"])).stdout) as unknown[];
    assert.equal(listed.length, 1, "nothing stored by the refused ones");
  });
});
