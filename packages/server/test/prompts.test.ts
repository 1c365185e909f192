import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { runCliInPty } from "./helpers/pty.ts";
import { runCli } from "./helpers/run-cli.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Secrets typed at a terminal are never shown: the real `tessera` binary on a real
 * pseudo-terminal, with answers typed only once their prompt is on the screen.
 */
suite("interactive prompts on a terminal", () => {
  let s: TestServer;
  let data: string[];
  const env = { TESSERA_LOG_LEVEL: "silent", TESSERA_LINK_SANDBOX: "on" };
  before(async () => {
    s = await startTestServer("sqlite");
    data = ["--data-dir", s.server.ctx.config.dataDir];
    const tenant = await runCli([...data, "tenant", "create", "acme"], { env, scenario: "prompts: setup" });
    assert.equal(tenant.status, 0, tenant.stderr);
    const user = await runCli([...data, "user", "create", "ann", "--tenant", "acme"], {
      env,
      scenario: "prompts: setup",
    });
    assert.equal(user.status, 0, user.stderr);
  });
  after(() => s.close());

  test("link connect echoes the username but never the site password or the second factor", async () => {
    const r = await runCliInPty(
      [...data, "link", "connect", "--tenant", "acme", "--user", "ann", "--site", "sandbox-bank"],
      [
        ["Username: ", "user_token\r"],
        ["Password: ", "sandbox\r"],
        ["Challenge 4711[^\\n]*\\): ", "123456\r"],
      ],
      env,
    );
    assert.equal(r.pending, 0, r.output);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /user_token/, "a plain field is echoed as typed (the terminal does echo)");
    assert.match(r.output, /Everyday Checking/, "the typed password was the one used");
    assert.doesNotMatch(r.output, /sandbox\b(?!-)/, "the password is not on the terminal");
    assert.doesNotMatch(r.output, /123456/, "the one-time code is not on the terminal");
  });

  test("Ctrl-C at a hidden prompt interrupts the command (raw mode does not swallow it); nothing is created", async () => {
    const r = await runCliInPty(
      [...data, "user", "create", "selina", "--tenant", "acme", "--password-stdin"],
      [["[Pp]assword[^\\n]*: ", "meow\x03"]],
      env,
    );
    assert.equal(r.pending, 0, r.output);
    // The status of a process killed by SIGINT, as python reports it.
    assert.equal(r.status, -2, r.output);
    assert.doesNotMatch(r.output, /meow/);
    const after = await runCli([...data, "user", "show", "selina", "--tenant", "acme", "--json"], {
      env,
      scenario: "prompts: interrupted",
    });
    assert.notEqual(after.status, 0, "no user was created");
  });

  test("user create --password-stdin on a terminal asks without echo; the password works", async () => {
    const r = await runCliInPty(
      [...data, "user", "create", "bruce", "--tenant", "acme", "--password-stdin"],
      [["[Pp]assword[^\\n]*: ", "i am batman\r"]],
      env,
    );
    assert.equal(r.pending, 0, r.output);
    assert.equal(r.status, 0, r.output);
    assert.doesNotMatch(r.output, /batman/);
    const key = JSON.parse(
      (
        await runCli([...data, "api-key", "create", "--tenant", "acme", "--json"], {
          env,
          scenario: "prompts: key",
        })
      ).stdout,
    ).apiKey as string;
    const login = await s.api("POST", "/v1/auth/password", {
      apiKey: key,
      body: { username: "bruce", password: "i am batman" },
      scenario: "prompts: password from a terminal",
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
  });
});
