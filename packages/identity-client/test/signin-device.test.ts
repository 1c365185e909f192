import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type DeviceCodePrompt, IdentityStatusCode } from "../src/index.ts";
import {
  approveDevice,
  observe,
  type SignInFixture,
  signInClient,
  startSignInFixture,
  storedTokens,
  testBrowser,
} from "./helpers/signin-fixture.ts";

/**
 * The device authorization grant (RFC 8628) as the identity client uses it: when no browser can
 * start (InitCefFailed, then the fallback), and when asked for with signIn({device: true}).
 * The person's side is driven over HTTP against a real server.
 */
describe("identity client sign-in with the device grant", () => {
  let f: SignInFixture;
  before(async () => {
    f = await startSignInFixture();
  });
  after(() => f.close());

  /** A client whose onDeviceCode approves the code as the person would; `prompts` records what it was told. */
  async function deviceClient(storeDir: string, browser: string) {
    const prompts: DeviceCodePrompt[] = [];
    let approved: Promise<void> = Promise.resolve();
    const client = await signInClient(f, {
      storeDir,
      browser,
      onDeviceCode: (prompt) => {
        prompts.push(prompt);
        approved = approveDevice(f, prompt.userCode, prompt.verificationUri);
      },
    });
    return { client, prompts, approved: () => approved };
  }

  test("no browser can start: the device grant signs in, and the result says why", async () => {
    const storeDir = join(f.dir, "fallback");
    const { client, prompts, approved } = await deviceClient(storeDir, join(f.dir, "no-such-browser"));
    const result = observe(await client.signIn(), "sign-in: no browser, device grant fallback");
    await approved();
    assert.equal(result.status, IdentityStatusCode.Success, result.message);
    assert.match(
      result.message ?? "",
      /no-such-browser cannot be started \(ENOENT\); signed in with the device grant/,
    );
    assert.equal(result.value?.subject, f.userId);
    assert.equal(prompts.length, 1);
    assert.match(prompts[0]?.userCode ?? "", /\S{4,}/);
    assert.ok((prompts[0]?.expiresAt ?? 0) > Date.now());
    const token = (await storedTokens(f, storeDir))?.accessToken;
    const me = await fetch(`${f.app.issuer.href}/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await me.json()) as { sub: string }).sub, f.userId);
  });

  test("signIn({device: true}) uses the device grant even when a browser would start", async () => {
    const storeDir = join(f.dir, "forced");
    // Were this browser started, it would send a crafted redirect and the sign-in would fail.
    const { client, prompts, approved } = await deviceClient(
      storeDir,
      testBrowser("craft", join(f.dir, "forced-report.json"), "wrong-state"),
    );
    const result = observe(await client.signIn({ device: true }), "sign-in: device grant asked for");
    await approved();
    assert.equal(result.status, IdentityStatusCode.Success, result.message);
    assert.equal(prompts.length, 1);
    assert.ok((await storedTokens(f, storeDir))?.accessToken);
  });

  test("no browser and an app without the device grant is InitCefFailed; asking it for the device grant is ClientError", async () => {
    for (const browser of [join(f.dir, "no-such-browser"), "false"]) {
      const client = await signInClient(f, {
        app: f.browserOnlyApp,
        browser,
        onDeviceCode: () => assert.fail(),
      });
      const result = observe(await client.signIn(), "sign-in: no browser, no device grant");
      assert.equal(result.status, IdentityStatusCode.InitCefFailed, result.message);
      assert.match(result.message ?? "", /browser command/);
    }
    // Asked for outright, the server's refusal is the answer (a 4xx: ClientError), named.
    const client = await signInClient(f, { app: f.browserOnlyApp, onDeviceCode: () => assert.fail() });
    const refused = observe(await client.signIn({ device: true }), "sign-in: device grant not allowed");
    assert.equal(refused.status, IdentityStatusCode.ClientError, refused.message);
    assert.match(refused.message ?? "", /device grant could not start: \w+/);
  });

  test("a device code nobody confirms within the sign-in timeout is TimeOut", async () => {
    const prompts: DeviceCodePrompt[] = [];
    const client = await signInClient(f, { onDeviceCode: (prompt) => prompts.push(prompt) });
    const result = observe(
      await client.signIn({ device: true, timeoutMs: 1500 }),
      "sign-in: device code not confirmed",
    );
    assert.equal(result.status, IdentityStatusCode.TimeOut, result.message);
    assert.equal(prompts.length, 1);
  });

  test("without onDeviceCode the code is printed to stderr, and the program is signed in", async () => {
    const storeDir = join(f.dir, "printed");
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, "helpers", "signin-device-child.ts"),
        f.app.issuer.href,
        f.app.clientId,
        storeDir,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let stderr = "";
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      for (;;) {
        const [chunk] = (await once(child.stderr, "data")) as [Buffer];
        stderr += chunk.toString();
        if (stderr.includes("\n")) break;
      }
      const printed = /^To sign in, open (\S+) and enter the code (\S+)\n/.exec(stderr);
      assert.ok(printed, stderr);
      await approveDevice(f, printed[2] ?? "", printed[1] ?? "");
      await once(child, "exit");
      const result = JSON.parse(stdout) as { status: IdentityStatusCode; message?: string };
      observe(result, "sign-in: device code printed");
      assert.equal(result.status, IdentityStatusCode.Success, result.message);
      assert.ok((await storedTokens(f, storeDir))?.accessToken);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
