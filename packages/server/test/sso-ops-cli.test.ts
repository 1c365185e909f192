import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { runCli } from "./helpers/run-cli.ts";
import { startServerProcess } from "./helpers/server-process.ts";
import { bodyText, mailTo, type SmtpSink, startSmtpSink } from "./helpers/smtp-sink.ts";

/**
 * The operator's view of SSO from the shell: where the issuer is, which links e-mails carry and
 * why an e-mail cannot go out, in the same words and time format as the API.
 */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-ops-cli-"));
let sink: SmtpSink;
let tenantId = "";
const confidential = ["--kind", "confidential", "--grant-type", "client_credentials"];
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const smtpEnv = () => ({ TESSERA_SMTP_HOST: "127.0.0.1", TESSERA_SMTP_PORT: String(sink.port) });
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(["--data-dir", dataDir, ...args], { scenario: "sso: operator cli", env });

before(async () => {
  sink = await startSmtpSink();
  const created = await cli(["tenant", "create", "acme"]);
  assert.equal(created.status, 0, created.stderr);
  tenantId = /created tenant acme \(([^)]+)\)/.exec(created.stdout)?.[1] ?? "";
  assert.ok(tenantId !== "", created.stdout);
  // tenant create names the tenant's issuer, built from the id (the name is not part of it).
  assert.match(created.stdout, new RegExp(`issuer: http://127\\.0\\.0\\.1:8080/oidc/${tenantId}\\b`));
});
after(async () => {
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("app create|show|update|rotate-secret print the issuer and discovery URL; --json times are RFC 3339", async () => {
  const env = { TESSERA_PUBLIC_URL: "https://id.acme.test/" };
  const issuer = `https://id.acme.test/oidc/${tenantId}`;
  const discovery = `${issuer}/.well-known/openid-configuration`;
  const made = await cli(
    [...["app", "create", "--tenant", "acme", "--name", "Back office"], ...confidential, "--json"],
    env,
  );
  assert.equal(made.status, 0, made.stderr);
  type Shown = { app: { clientId: string; issuer: string; createdAt: string; updatedAt: string } };
  const created = JSON.parse(made.stdout) as Shown & { discoveryUrl: string };
  assert.equal(created.app.issuer, issuer);
  assert.equal(created.discoveryUrl, discovery);
  const { clientId } = created.app;
  for (const args of [
    ["app", "show", clientId, "--tenant", "acme", "--json"],
    ["app", "update", clientId, "--tenant", "acme", "--name", "Renamed", "--json"],
    ["app", "rotate-secret", clientId, "--tenant", "acme", "--json"],
    ["app", "create", "--tenant", "acme", "--name", "Other", ...confidential, "--json"],
  ]) {
    const r = await cli(args, env);
    assert.equal(r.status, 0, r.stderr);
    const shown = JSON.parse(r.stdout) as Shown & { discoveryUrl: string };
    assert.match(shown.app.createdAt, RFC3339, args.join(" "));
    assert.match(shown.app.updatedAt, RFC3339, args.join(" "));
    assert.equal(shown.app.issuer, issuer, args.join(" "));
    assert.equal(shown.discoveryUrl, discovery, args.join(" "));
  }
  const listed = JSON.parse((await cli(["app", "list", "--tenant", "acme", "--json"], env)).stdout) as {
    createdAt: string;
  }[];
  for (const app of listed) assert.match(app.createdAt, RFC3339);
  const text = await cli(["app", "show", clientId, "--tenant", "acme"], env);
  assert.match(text.stdout, new RegExp(`issuer: ${issuer}\\b`));
  assert.match(text.stdout, new RegExp(`discoveryUrl: ${discovery.replaceAll(".", "\\.")}`));
  assert.match(text.stdout, /tenant id, not its name/);
});

test("user invite without publicUrl warns that the link uses the default URL and how to set publicUrl", async () => {
  assert.equal(
    (await cli(["user", "create", "ann", "--tenant", "acme", "--email", "ann@mail.test"])).status,
    0,
  );
  const unset = await cli(["user", "invite", "ann", "--tenant", "acme"], smtpEnv());
  assert.equal(unset.status, 0, unset.stderr);
  assert.match(unset.stderr, /publicUrl is not set/);
  assert.match(unset.stderr, /http:\/\/127\.0\.0\.1:8080\//);
  assert.match(unset.stderr, /TESSERA_PUBLIC_URL/);
  const [first] = await mailTo(sink, "ann@mail.test", 1);
  assert.match(bodyText(first ?? { to: [], raw: "" }), /http:\/\/127\.0\.0\.1:8080\/oidc\//);

  const set = await cli(["user", "invite", "ann", "--tenant", "acme"], {
    ...smtpEnv(),
    TESSERA_PUBLIC_URL: "https://id.acme.test/",
  });
  assert.equal(set.status, 0, set.stderr);
  assert.doesNotMatch(set.stderr, /publicUrl/);
  const second = (await mailTo(sink, "ann@mail.test", 2))[1];
  assert.match(bodyText(second ?? { to: [], raw: "" }), /https:\/\/id\.acme\.test\/oidc\//);
});

test("user invite without smtp.host says so, and the start-up warning lists invitations", async () => {
  assert.equal(
    (await cli(["user", "create", "bob", "--tenant", "acme", "--email", "bob@mail.test"])).status,
    0,
  );
  const r = await cli(["user", "invite", "bob", "--tenant", "acme", "--json"]);
  assert.equal(r.status, 1);
  const answer = JSON.parse(r.stdout) as { errorCode: number; errorMessage: string };
  assert.equal(answer.errorCode, ApiReturnCode.EnrollUserSendNotoficationFailed);
  assert.match(answer.errorMessage, /smtp\.host is not set/);

  const server = await startServerProcess(["--data-dir", dataDir]);
  await server.stop();
  const warning = server.logs.find((l) => String(l.msg).startsWith("smtp.host is not set"));
  assert.match(String(warning?.msg), /invitations/);
});
