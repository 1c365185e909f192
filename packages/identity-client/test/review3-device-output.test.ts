import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, beforeEach, test } from "node:test";
import { recordObservedCode } from "@tessera/codes/coverage";
import { IdentityStatusCode } from "../src/index.ts";
import { type FakeIssuer, json, startFakeIssuer } from "./helpers/setup-fake-issuer.ts";

/**
 * The device grant prints the server's user code and verification address on the program's
 * stderr (no onDeviceCode). A hostile server must not reach the person's terminal with control
 * sequences through them: OSC 52 writes the clipboard, others retitle the window or clear the
 * screen to hide what the real address was.
 */
let fake: FakeIssuer;
let storeDir: string;
const dirs: string[] = [];
beforeEach(async () => {
  fake = await startFakeIssuer("notes-app");
  storeDir = await mkdtemp(join(tmpdir(), "review3-device-"));
  dirs.push(storeDir);
});
afterEach(() => fake.close());
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const child = join(import.meta.dirname, "helpers", "signin-device-child.ts");

test("a user code and verification address with terminal control sequences reach stderr without them", {
  timeout: 30_000,
}, async () => {
  fake.document = { ...fake.document, device_authorization_endpoint: `${fake.issuer}/device/auth` };
  fake.on(
    "/device/auth",
    json(200, {
      device_code: "dc",
      user_code: "WDJB\u001b]52;c;ZWNobyBvd25lZA==\u0007-MJHT",
      verification_uri: `${fake.issuer}/device\u001b[2J\u001b[H`,
      expires_in: 600,
      interval: 1,
    }),
  );
  // The person refuses at once: the sign-in ends (Failed) after the code was printed.
  fake.on("/token", json(400, { error: "access_denied" }));
  const running = spawn(process.execPath, [child, fake.issuer, "notes-app", storeDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let stdout = "";
    let stderr = "";
    running.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    running.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    await new Promise((resolve) => running.on("close", resolve));
    const result = JSON.parse(stdout.trim()) as { status: IdentityStatusCode };
    recordObservedCode("identity", result.status, "device grant: hostile user code (child)");
    assert.equal(result.status, IdentityStatusCode.Failed);
    assert.match(stderr, /enter the code/, "the code was not printed");
    // No C0 control (ESC, BEL, …) and no C1 control from the server's strings; the newline ends the line.
    assert.doesNotMatch(
      stderr.replace(/\n/g, ""),
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
      /[\u0000-\u001f\u007f-\u009f]/,
      JSON.stringify(stderr),
    );
    assert.match(stderr, /WDJB.*MJHT/, "the code's printable part is kept");
  } finally {
    running.kill("SIGKILL");
  }
});
