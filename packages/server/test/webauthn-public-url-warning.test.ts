import assert from "node:assert/strict";
import { test } from "node:test";
import { startServerProcess } from "./helpers/server-process.ts";

/**
 * The default relying party id of a tenant is publicUrl's host; browsers refuse an IP address as
 * an RP id, so on the default publicUrl (http://127.0.0.1:8080) no browser can register a key of
 * a tenant without webauthnRpId. `tessera start` says so, with what to set, instead of letting
 * an integrator find out from a browser's SecurityError.
 */
const rpWarnings = (logs: Record<string, unknown>[]) =>
  logs.filter((entry) => entry.level === 40 && /WebAuthn relying party id/.test(String(entry.msg)));

test("publicUrl on an IP address: a warning at start naming the host and the settings to change", async () => {
  const server = await startServerProcess();
  await server.stop();
  assert.ok(
    server.logs.some((entry) => entry.msg === "stopped"),
    "the start log was read to its end",
  );
  const [warning, ...more] = rpWarnings(server.logs);
  assert.equal(more.length, 0);
  assert.match(String(warning?.msg), /^publicUrl's host 127\.0\.0\.1 is an IP address/);
  assert.match(
    String(warning?.msg),
    /set publicUrl to a domain \(http:\/\/localhost:<port> for development\)/,
  );
  assert.match(String(warning?.msg), /webauthnRpId and webauthnOrigins \(PATCH \/v1\/tenant\)/);
});

test("publicUrl on a domain (localhost): no such warning", async () => {
  const server = await startServerProcess([], { TESSERA_PUBLIC_URL: "http://localhost:8080/" });
  await server.stop();
  assert.ok(
    server.logs.some((entry) => entry.msg === "stopped"),
    "the start log was read to its end",
  );
  assert.deepEqual(rpWarnings(server.logs), []);
});
