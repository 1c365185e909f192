import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import type { ServerProcess } from "../../server/test/helpers/server-process.ts";
import { passSignInPages } from "../../server/test/helpers/sso-grant-fixtures.ts";
import { Browser } from "../../server/test/helpers/sso-sign-in.ts";
import type { ClientContext } from "../src/client-context.ts";
import { initialize } from "../src/setup/initialize.ts";
import { saveTokens } from "../src/tokens/save-tokens.ts";
import { answerOf, type CliRun, startTesseraLogin, tesseraLogin } from "./helpers/cli-run.ts";
import { ADA_PASSWORD, type NativeAppServer, startNativeAppServer } from "./helpers/native-app-server.ts";

/**
 * The real bin/tessera-login.js in child processes against a real `tessera start` process: a
 * person signed in to a native app (over HTTP, saved into a store directory as a sign-in saves
 * it), then every command in human and --json form with its exit code; token exchange with
 * --for; batch mode with a personal access token; signin --device; offline after the server is
 * stopped (the last tests). Every identity code read from --json is recorded.
 */
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
const PAT_GRANT = "urn:tessera:params:oauth:grant-type:personal-access-token";

suite("tessera-login against a tessera start process", () => {
  let fixture: NativeAppServer;
  let server: ServerProcess;
  const dirs: string[] = [];
  let tenantId = "";
  let issuer = "";
  let clientId = "";
  let backendId = "";
  let storeDir = "";
  /** Every secret the signed-in store holds: none may appear in any output but `token`'s. */
  const secrets: string[] = [];

  const env = () => ({ TESSERA_ISSUER: issuer, TESSERA_CLIENT_ID: clientId });
  const cli = (args: readonly string[], dir = storeDir, extra: Record<string, string> = {}) =>
    tesseraLogin([...args, "--store-dir", dir], { ...env(), ...extra });
  const newStoreDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "tessera-cli-store-"));
    dirs.push(dir);
    return dir;
  };
  const assertNoSecret = (output: CliRun, what: string) => {
    for (const secret of secrets) {
      assert.ok(!output.stdout.includes(secret), `${what}: stdout carries no secret`);
      assert.ok(!output.stderr.includes(secret), `${what}: stderr carries no secret`);
    }
  };

  before(async () => {
    fixture = await startNativeAppServer({
      tenant: "cli-co",
      scenario: "tessera-login: setup",
      grantTypes: ["authorization_code", "refresh_token", DEVICE_CODE, TOKEN_EXCHANGE, PAT_GRANT],
    });
    ({ server, tenantId, clientId, issuer } = fixture);
    const { api } = fixture;
    const backend = await api("POST", "/v1/apps", "tessera-login: setup", {
      name: "Field notes back end",
      kind: "confidential",
      redirectUris: ["https://notes.example.test/callback"],
      grantTypes: ["authorization_code"],
      scopes: ["openid", "profile", "email"],
    });
    assert.equal(backend.status, 201, JSON.stringify(backend.body));
    backendId = (backend.body.app as { clientId: string }).clientId;
    const pat = await api("POST", "/v1/users/ada/personal-access-tokens", "tessera-login: setup", {
      clientId,
      name: "build server",
      expiresInDays: 1,
    });
    assert.equal(pat.status, 201, JSON.stringify(pat.body));
    patToken = pat.body.token as string;
    secrets.push(patToken);

    storeDir = await newStoreDir();
    await signInInto(storeDir);
  });
  after(async () => {
    await fixture?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  let patToken = "";

  /** A sign-in over HTTP, saved into `dir` the way the client's sign-in saves it. */
  async function signInInto(dir: string): Promise<ClientContext> {
    const init = await initialize({ issuer, clientId, mode: "interactive", storeDir: dir }, Date.now);
    assert.equal(init.status, IdentityStatusCode.Success, init.message);
    const ctx = init.value;
    assert.ok(ctx !== undefined);
    const answer = await fixture.signIn();
    for (const secret of [answer.access_token, answer.refresh_token, answer.id_token])
      if (secret !== undefined) secrets.push(secret);
    const saved = await saveTokens(ctx, answer, { signIn: true });
    assert.equal(saved.status, IdentityStatusCode.Success, saved.message);
    return ctx;
  }

  /**
   * Marks the stored access token expired, as it is ten minutes after the sign-in, so that the next
   * call must ask the server (a refresh) while the signed grace (24 hours) still runs.
   */
  async function expireAccessToken(ctx: ClientContext): Promise<void> {
    const written = await ctx.store?.update(async (current) => {
      assert.ok(current?.tokens !== undefined);
      const tokens = { ...current.tokens, accessTokenExpiresAt: Date.now() - 1000 };
      return { next: { ...current, tokens }, value: undefined };
    });
    assert.ok(written?.ok);
  }

  test("nobody signed in: status, token and whoami exit 3 (AuthDataEmpty), human and --json", async () => {
    const empty = await newStoreDir();
    for (const command of ["status", "token", "whoami"]) {
      const json = await cli([command, "--json"], empty);
      const answer = answerOf(json, `tessera-login ${command}: nobody signed in`);
      assert.equal(answer.statusName, "AuthDataEmpty", json.stdout);
      assert.equal(answer.value, null);
      assert.equal(json.code, 3, command);
      const human = await cli([command], empty);
      assert.equal(human.code, 3, command);
      assert.equal(human.stdout, "", `${command}: nothing on stdout`);
      assert.match(human.stderr, /^AuthDataEmpty/);
    }
  });

  test("signed in: status and whoami describe the user (exit 0) and never print a token", async () => {
    const status = await cli(["status"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^signed in as:\s+Ada Lovelace <ada@example\.test>$/m);
    assert.match(status.stdout, new RegExp(`^tenant:\\s+${tenantId}$`, "m"));
    assert.match(status.stdout, /^offline grace:\s+until \d{4}-/m);
    assertNoSecret(status, "status");

    const statusJson = await cli(["status", "--json"]);
    const answer = answerOf(statusJson, "tessera-login status: signed in");
    assert.equal(statusJson.code, 0);
    assert.equal(answer.status, IdentityStatusCode.Success);
    const value = answer.value as { subject: string; tenant: string; email: string; gracePeriodEnd: string };
    assert.equal(value.tenant, tenantId);
    assert.equal(value.email, "ada@example.test");
    assert.ok(Date.parse(value.gracePeriodEnd) > Date.now());
    assertNoSecret(statusJson, "status --json");

    const whoami = await cli(["whoami"]);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.match(whoami.stdout, /^user:\s+Ada Lovelace <ada@example\.test>$/m);
    assert.match(whoami.stdout, new RegExp(`^subject:\\s+${value.subject}$`, "m"));
    assertNoSecret(whoami, "whoami");
    const whoamiJson = await cli(["whoami", "--json"]);
    const profile = answerOf(whoamiJson, "tessera-login whoami: signed in");
    assert.equal(whoamiJson.code, 0);
    assert.equal((profile.value as { subject: string }).subject, value.subject);
    assertNoSecret(whoamiJson, "whoami --json");
  });

  test("token prints the access token alone on stdout; --json carries it as the value", async () => {
    const human = await cli(["token"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^[\w.~+/=-]{20,}\n$/, "one line, the token");
    assert.equal(human.stderr, "");
    const userinfo = await fetch(new URL(`/oidc/${tenantId}/me`, server.url), {
      headers: { authorization: `Bearer ${human.stdout.trim()}` },
    });
    assert.equal(userinfo.status, 200, "the printed token is the user's working access token");
    const json = await cli(["token", "--json"]);
    const answer = answerOf(json, "tessera-login token: signed in");
    assert.equal(json.code, 0);
    assert.equal(answer.value, human.stdout.trim(), "the same token from the shared store");
  });

  test("token --for a first-party app of the tenant exchanges the token; an unknown id exits 1", async () => {
    const main = (await cli(["token"])).stdout.trim();
    const other = await cli(["token", "--for", backendId, "--json"]);
    const answer = answerOf(other, "tessera-login token --for: exchanged");
    assert.equal(answer.status, IdentityStatusCode.Success, other.stdout);
    assert.equal(other.code, 0);
    assert.equal(typeof answer.value, "string");
    assert.notEqual(answer.value, main, "a token of the other app, not the program's own");
    const introspected = await fetch(new URL(`/oidc/${tenantId}/me`, server.url), {
      headers: { authorization: `Bearer ${String(answer.value)}` },
    });
    assert.equal(introspected.status, 200, "the exchanged token works for the same user");

    const unknown = await cli(["token", "--for", "no-such-app", "--json"]);
    const refused = answerOf(unknown, "tessera-login token --for: unknown client id");
    assert.equal(refused.statusName, "ClientIdNotRegistered", unknown.stdout);
    assert.equal(unknown.code, 1);
    assert.equal(refused.value, null);
  });

  test("batch mode: token with TESSERA_PERSONAL_ACCESS_TOKEN; the PAT is never printed", async () => {
    const batchEnv = { TESSERA_PERSONAL_ACCESS_TOKEN: patToken };
    const token = await cli(["token", "--batch"], storeDir, batchEnv);
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout, /^[\w.~+/=-]{20,}\n$/);
    assert.ok(!token.stdout.includes(patToken), "the PAT is exchanged, not echoed");
    const json = await cli(["whoami", "--batch", "--json"], storeDir, batchEnv);
    const profile = answerOf(json, "tessera-login whoami --batch: personal access token");
    assert.equal(profile.status, IdentityStatusCode.Success, json.stdout);
    assert.equal(json.code, 0);
    assert.ok(!json.stdout.includes(patToken));
    const status = await cli(["status", "--batch", "--json"], storeDir, batchEnv);
    const data = answerOf(status, "tessera-login status --batch: personal access token");
    assert.equal(data.status, IdentityStatusCode.Success, status.stdout);
    assert.equal(status.code, 0);
    assert.ok(!status.stdout.includes(patToken) && !status.stdout.includes(token.stdout.trim()));
    const signin = await cli(["signin", "--batch", "--json"], storeDir, batchEnv);
    assert.equal(answerOf(signin, "tessera-login signin --batch").statusName, "UnsupportedCall");
    assert.equal(signin.code, 1);
    const wrong = await cli(["token", "--batch", "--json"], storeDir, {
      TESSERA_PERSONAL_ACCESS_TOKEN: `${patToken.slice(0, -4)}xxxx`,
    });
    assert.equal(answerOf(wrong, "tessera-login token --batch: refused PAT").statusName, "Failed");
    assert.equal(wrong.code, 1);
    assert.ok(!wrong.stdout.includes(patToken.slice(5, 30)), "no part of the credential in the message");
  });

  test("signin --device: the user code on stderr, approved on the device page, then signed in", async () => {
    const dir = await newStoreDir();
    const signin = startTesseraLogin(["signin", "--device", "--store-dir", dir], env());
    try {
      const [, uri, userCode] = await signin.stderrLine(/open (\S+) and enter the code (\S+)/);
      assert.ok(uri !== undefined && userCode !== undefined);
      await approveDevice(new URL(uri), userCode);
      const done = await signin.result();
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /^signed in as:\s+Ada Lovelace <ada@example\.test>$/m);
      const status = await cli(["status", "--json"], dir);
      assert.equal(answerOf(status, "tessera-login status: after signin --device").statusName, "Success");
    } finally {
      signin.stop();
    }
  });

  test("signin with no browser to start falls back to the device grant and says why", async () => {
    const dir = await newStoreDir();
    const signin = startTesseraLogin(["signin", "--store-dir", dir, "--json"], {
      ...env(),
      BROWSER: join(dir, "no-such-browser"),
    });
    try {
      const [, uri, userCode] = await signin.stderrLine(/open (\S+) and enter the code (\S+)/);
      assert.ok(uri !== undefined && userCode !== undefined);
      await approveDevice(new URL(uri), userCode);
      const done = await signin.result();
      const answer = answerOf(done, "tessera-login signin: no browser, device grant");
      assert.equal(answer.status, IdentityStatusCode.Success, done.stdout);
      assert.match(answer.message ?? "", /no-such-browser.*device grant/);
      assert.equal(done.code, 0);
    } finally {
      signin.stop();
    }
  });

  /** The person's side of the device grant over HTTP: the user-code page, then the sign-in pages. */
  async function approveDevice(page: URL, userCode: string): Promise<void> {
    const browser = new Browser();
    const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const form = await browser.request(new URL(page.pathname, page));
    const confirm = await browser.request(new URL(page.pathname, page), {
      method: "POST",
      form: { xsrf: xsrfOf(await form.text()), user_code: userCode },
    });
    assert.equal(confirm.status, 200);
    const answers = {
      baseUrl: server.url,
      tenantId,
      clientId,
      redirectUri: "urn:tessera:test:none",
      username: "ada",
      password: ADA_PASSWORD,
    };
    const signIn = await browser.follow(new URL(page.pathname, page), answers.redirectUri, {
      method: "POST",
      form: { xsrf: xsrfOf(await confirm.text()), user_code: userCode, confirm: "yes" },
    });
    const end = await passSignInPages(browser, signIn, answers);
    assert.ok(!("callback" in end) && end.status === 200, "the device sign-in ends on the success page");
  }

  test("signout exits 0; then status and token exit 3 (nobody signed in)", async () => {
    const dir = await newStoreDir();
    await signInInto(dir);
    const signout = await cli(["signout", "--json"], dir);
    assert.equal(
      answerOf(signout, "tessera-login signout").status,
      IdentityStatusCode.Success,
      signout.stdout,
    );
    assert.equal(signout.code, 0);
    assertNoSecret(signout, "signout --json");
    for (const command of ["status", "token"]) {
      const after = await cli([command, "--json"], dir);
      const answer = answerOf(after, `tessera-login ${command}: after signout`);
      assert.equal(answer.statusName, "AuthDataEmpty");
      assert.equal(after.code, 3, command);
    }
    const again = await cli(["signout"], dir);
    assert.equal(again.code, 0, "signing out twice is done, not an error");
  });

  test("the server stopped: a valid access token is still Success (exit 0), from the store alone", async () => {
    offlineDir = await newStoreDir();
    const ctx = await signInInto(offlineDir);
    assert.equal((await cli(["whoami"], offlineDir)).code, 0, "the profile is cached online first");
    await expireAccessToken(ctx);
    await server.stop("SIGKILL");
    const status = await cli(["status", "--json"]);
    assert.equal(answerOf(status, "tessera-login status: server stopped, token valid").statusName, "Success");
    assert.equal(status.code, 0);
  });
  let offlineDir = "";

  test("the server stopped: an expired access token within the grace is Offline (exit 4), a fresh store exits 5", async () => {
    const fresh = await newStoreDir();
    for (const command of ["status", "token", "whoami"]) {
      const json = await cli([command, "--json"], offlineDir);
      const answer = answerOf(json, `tessera-login ${command}: server stopped, within the grace`);
      assert.equal(answer.statusName, "Offline", json.stdout);
      assert.ok(answer.value !== null, `${command} answers from the cache`);
      assert.equal(json.code, 4, command);
    }
    const human = await cli(["status"], offlineDir);
    assert.equal(human.code, 4);
    assert.match(human.stdout, /^signed in as:\s+Ada Lovelace/m);
    assert.match(human.stderr, /^Offline/m);
    assertNoSecret(human, "status offline");
    const none = await cli(["status", "--json"], fresh);
    const unreachable = answerOf(none, "tessera-login status: server stopped, nothing cached");
    assert.equal(unreachable.statusName, "AuthenticationInterfaceCouldNotBeInitialized", none.stdout);
    assert.equal(none.code, 5);

    // Signing out offline: done here (the store is cleared) but not at the server, which is said.
    const signout = await cli(["signout", "--json"], offlineDir);
    const notTold = answerOf(signout, "tessera-login signout: server stopped");
    assert.equal(notTold.statusName, "ConnectionError", signout.stdout);
    assert.match(notTold.message ?? "", /signed out here/);
    assert.equal(signout.code, 5);
    assertNoSecret(signout, "signout offline");
    const after = await cli(["status", "--json"], offlineDir);
    assert.equal(answerOf(after, "tessera-login status: signed out offline").statusName, "AuthDataEmpty");
    assert.equal(after.code, 3);
  });
});
