import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * A refused policy names every problem at once, in words: "+01:00" is an offset and not a time
 * zone, "9:00" is not HH:MM; the API and `tessera policy set` say the same.
 */
const bad = {
  daysOfWeek: { allowed: ["mon"], timeZone: "+01:00", mode: "enforce" },
  timeOfDay: { timeZone: "Europe/Berlin", windows: [{ start: "9:00", end: "17:00" }], mode: "enforce" },
  dailyAllowance: { maxSignIns: 0, timeZone: "UTC", mode: "log" },
};
const offset = /timeZone must be an IANA time zone name[^.]*"\+01:00" is an offset, not a zone/;
const clock = /windows\.0\.start must be a time of day, HH:MM/;

for (const backend of backends) {
  suite(`policy validation messages (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("the API lists every problem, with words for zones and HH:MM", async () => {
      const { apiKey } = await s.tenant();
      const r = await s.api("PUT", "/v1/policies/tenant", {
        apiKey,
        body: bad,
        scenario: "policies: messages",
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
      const messages = (r.body.errors as { message: string }[]).map((e) => e.message).join("\n");
      assert.match(messages, offset);
      assert.match(messages, clock);
      assert.match(messages, /maxSignIns/);
      assert.doesNotMatch(messages, /\^\(|must match pattern/);
    });

    test("zones and ranges checked in code are all listed too", async () => {
      const { apiKey } = await s.tenant();
      const body = {
        daysOfWeek: { allowed: ["mon"], timeZone: "Mars/Olympus", mode: "enforce" },
        clientAddresses: { ranges: ["10.0.0.0/8", "not-a-range"], mode: "enforce" },
      };
      const r = await s.api("PUT", "/v1/policies/tenant", { apiKey, body, scenario: "policies: messages" });
      assert.equal(r.status, 400);
      const fields = (r.body.errors as { field: string }[]).map((e) => e.field);
      assert.deepEqual(fields, ["body.daysOfWeek.timeZone", "body.clientAddresses.ranges.1"]);
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), "tessera-policy-messages-"));
test("tessera policy set shows every problem, as the API words them", async (t) => {
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const cli = (args: string[]) =>
    runCli(["--data-dir", dataDir, ...args], { scenario: "policies: cli messages" });
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
  const file = join(dataDir, "bad.json");
  writeFileSync(file, JSON.stringify(bad));
  const json = await cli(["policy", "set", "--tenant", "acme", "--file", file, "--json"]);
  assert.equal(json.status, 1);
  const answer = JSON.parse(json.stdout) as {
    errorCode: number;
    errors: { field: string; message: string }[];
  };
  assert.equal(answer.errorCode, TesseraApiCode.MalformedRequest);
  const messages = answer.errors.map((e) => e.message).join("\n");
  assert.match(messages, offset);
  assert.match(messages, clock);
  assert.match(messages, /maxSignIns/);
  const text = await cli(["policy", "set", "--tenant", "acme", "--file", file]);
  assert.equal(text.status, 1);
  assert.match(text.stderr, offset);
  assert.match(text.stderr, clock);
  assert.match(text.stderr, /maxSignIns/);
});
