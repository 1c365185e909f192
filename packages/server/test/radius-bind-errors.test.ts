import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "./helpers/run-cli.ts";

/**
 * A RADIUS port that another process holds stops `tessera start` (exit 1) with a message that
 * names the setting to change, as the HTTP port's does, instead of a bare "bind EADDRINUSE".
 */
async function udpHolder(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind({ address: "127.0.0.1", port: 0 }, resolve));
  return { socket, port: socket.address().port };
}

const start = (env: Record<string, string>) =>
  runCli(["start", "--port", "0", "--data-dir", mkdtempSync(join(tmpdir(), "tessera-radius-bind-"))], {
    env: { TESSERA_RADIUS_ENABLED: "true", TESSERA_LOG_LEVEL: "silent", ...env },
    scenario: "radius: port in use at start",
  });

test("an authentication or accounting port in use names its setting and the other process", async () => {
  const held = await udpHolder();
  try {
    const auth = await start({ TESSERA_RADIUS_PORT: String(held.port), TESSERA_RADIUS_ACCOUNTING_PORT: "0" });
    assert.equal(auth.status, 1, auth.stderr);
    assert.match(
      auth.stderr,
      new RegExp(
        `EADDRINUSE 127\\.0\\.0\\.1:${held.port}; another process listens there; set radius\\.port \\(TESSERA_RADIUS_PORT\\)`,
      ),
    );
    const accounting = await start({
      TESSERA_RADIUS_PORT: "0",
      TESSERA_RADIUS_ACCOUNTING_PORT: String(held.port),
    });
    assert.equal(accounting.status, 1, accounting.stderr);
    assert.match(
      accounting.stderr,
      /another process listens there; set radius\.accountingPort \(TESSERA_RADIUS_ACCOUNTING_PORT; 0 turns accounting off\)/,
    );
  } finally {
    held.socket.close();
  }
});
