import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { redeem, ssoSignIn } from "../../server/test/helpers/sso-sign-in.ts";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.ts";
import { classifyFailure } from "../src/results/classify-failure.ts";
import { initialize } from "../src/setup/initialize.ts";
import { saveTokens } from "../src/tokens/save-tokens.ts";
import { answerOf, tesseraLogin } from "./helpers/cli-run.ts";

/**
 * A new integrator following the docs step by step with tessera-login: the stumbles found by
 * doing so, each of which must end in a message that says what to do and an exit code that does
 * not send a script the wrong way (5 means "the server is unreachable, retry later").
 */
const DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";

suite("tessera-login for a new integrator", () => {
  let server: TestServer;
  let storeDir = "";
  let issuer = "";
  let clientId = "";
  let apiKey = "";
  let tenantId = "";

  before(async () => {
    server = await startTestServer("sqlite");
    ({
      apiKey,
      tenant: { id: tenantId },
    } = await server.tenant());
    // Registered as the README's command registers it: no scope but openid, while the client asks
    // for openid profile email offline_access by default.
    const app = await server.api("POST", "/v1/apps", {
      scenario: "review4: a native app with the openid scope only",
      apiKey,
      body: {
        name: "Desktop app",
        kind: "native",
        redirectUris: ["http://127.0.0.1/callback"],
        grantTypes: ["authorization_code", "refresh_token", DEVICE_CODE],
      },
    });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    ({ clientId, issuer } = app.body.app as { clientId: string; issuer: string });
    storeDir = await mkdtemp(join(tmpdir(), "tessera-review4-"));
  });
  after(async () => {
    await server?.close();
    await rm(storeDir, { recursive: true, force: true });
  });

  const env = () => ({ TESSERA_ISSUER: issuer, TESSERA_CLIENT_ID: clientId });

  test("an app without the client's scopes: signin --device is ClientError, exit 1 (not 5), the message names the scopes", async () => {
    const json = await tesseraLogin(["signin", "--device", "--json", "--store-dir", storeDir], env());
    const answer = answerOf(json, "tessera-login signin --device: the app lacks the requested scopes");
    assert.equal(answer.status, IdentityStatusCode.ClientError, json.stdout);
    assert.equal(json.code, 1, "the server answered and refused: retrying will not help");
    assert.match(String(answer.message), /invalid_scope/);
    assert.match(
      String(answer.message),
      /--scope openid --scope profile --scope email --scope offline_access/,
    );
    const human = await tesseraLogin(["signin", "--device", "--store-dir", storeDir], env());
    assert.equal(human.code, 1);
    assert.match(human.stderr, /^ClientError: .*invalid_scope.*tessera app update/m);
  });

  test("TESSERA_PERSONAL_ACCESS_TOKEN set but no --batch: nobody signed in (exit 3), and the message says --batch", async () => {
    const pat = { ...env(), TESSERA_PERSONAL_ACCESS_TOKEN: "tpat_not-used-here" };
    const json = await tesseraLogin(["token", "--json", "--store-dir", storeDir], pat);
    const answer = answerOf(json, "tessera-login token: a PAT in the environment without --batch");
    assert.equal(answer.status, IdentityStatusCode.AuthDataEmpty, json.stdout);
    assert.equal(json.code, 3);
    assert.match(String(answer.message), /TESSERA_PERSONAL_ACCESS_TOKEN is set: add --batch/);
    assert.ok(!json.stdout.includes("tpat_not-used-here"), "the credential is named, never echoed");
    const plain = await tesseraLogin(["token", "--json", "--store-dir", storeDir], env());
    assert.equal(answerOf(plain, "tessera-login token: nobody signed in").message, "nobody is signed in");
  });

  test("--batch with neither credential variable: a usage error (exit 2) naming both variables", async () => {
    const run = await tesseraLogin(["token", "--batch", "--store-dir", storeDir], env());
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--batch needs TESSERA_PERSONAL_ACCESS_TOKEN .* or TESSERA_CLIENT_SECRET/);
    assert.doesNotMatch(run.stderr, /authentication: "none"/, "no library option the CLI does not have");
  });

  test("token --for while the program's app lacks the token-exchange grant: ClientError, exit 1, and the message names the OAuth error", async () => {
    // Loosened for this test: the second factor is not what is tested here, the refusal's message is.
    const policy = await server.api("PATCH", "/v1/tenant", {
      scenario: "review4: setup",
      apiKey,
      body: { ssoSecondFactor: "optional" },
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const user = await server.api("POST", "/v1/users", {
      scenario: "review4: setup",
      apiKey,
      body: { username: "ada", password: "correct horse battery", email: "ada@example.test" },
    });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const scopes = ["openid", "profile", "email", "offline_access"];
    const app = await server.api("POST", "/v1/apps", {
      scenario: "review4: setup",
      apiKey,
      body: {
        name: "Notes",
        kind: "native",
        redirectUris: ["http://127.0.0.1/callback"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes,
      },
    });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    const notes = (app.body.app as { clientId: string }).clientId;
    const dir = await mkdtemp(join(tmpdir(), "tessera-review4-"));
    try {
      const init = await initialize(
        { issuer, clientId: notes, mode: "interactive", storeDir: dir },
        Date.now,
      );
      assert.ok(init.value !== undefined, init.message);
      const signedIn = await ssoSignIn({
        baseUrl: server.url,
        tenantId,
        clientId: notes,
        redirectUri: "http://127.0.0.1/callback",
        username: "ada",
        password: "correct horse battery",
        scope: scopes.join(" "),
        prompt: "consent",
      });
      const saved = await saveTokens(init.value, await redeem(signedIn), { signIn: true });
      assert.equal(saved.status, IdentityStatusCode.Success, saved.message);
      const other = await tesseraLogin(["token", "--for", clientId, "--json", "--store-dir", dir], {
        TESSERA_ISSUER: issuer,
        TESSERA_CLIENT_ID: notes,
      });
      const answer = answerOf(other, "tessera-login token --for: the app lacks the token-exchange grant");
      assert.equal(answer.status, IdentityStatusCode.ClientError, other.stdout);
      assert.equal(other.code, 1);
      assert.match(
        String(answer.message),
        /HTTP 400, invalid_request: requested grant type is not allowed for this client\)$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test("a refusal's OAuth error and description are shown only as printable text, and cut short", () => {
  const refusal = (error: unknown, description: unknown) =>
    classifyFailure(
      Object.assign(new Error("refused"), { status: 400, error, error_description: description }),
    ).message;
  assert.equal(
    refusal("invalid_scope", "no"),
    "the server refused the request (HTTP 400, invalid_scope: no)",
  );
  assert.equal(
    refusal("invalid_request", "\u001b]52;c;cGF5bG9hZA==\u0007 write the clipboard"),
    "the server refused the request (HTTP 400, invalid_request)",
    "an escape sequence in the description is not printed at all",
  );
  assert.equal(
    refusal('a"b', "x"),
    "the server refused the request (HTTP 400)",
    "an error outside the charset",
  );
  assert.equal(
    refusal("x".repeat(10_000), "y"),
    `the server refused the request (HTTP 400, ${"x".repeat(64)}: y)`,
  );
  const long = refusal("invalid_request", "z".repeat(1 << 20));
  assert.ok(long.length < 300, `a megabyte description is cut (${long.length} characters)`);
  assert.equal(refusal(42, { toString: () => "x" }), "the server refused the request (HTTP 400)");
});
