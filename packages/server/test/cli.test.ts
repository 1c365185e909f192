import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { createApiKey } from "../src/tenants/api-keys.ts";
import { credential, finishedJob, user } from "./helpers/paged-lists.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type SmtpSink, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const backend of backends) {
  suite(`tessera CLI (${backend})`, () => {
    let s: TestServer;
    let smtp: SmtpSink;
    let data: string[];
    let env: Record<string, string>;
    before(async () => {
      smtp = await startSmtpSink();
      s = await startTestServer(backend);
      const { dataDir, databaseUrl } = s.server.ctx.config;
      data = ["--data-dir", dataDir, ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl])];
      env = {
        TESSERA_SMTP_HOST: "127.0.0.1",
        TESSERA_SMTP_PORT: String(smtp.port),
        TESSERA_LOG_LEVEL: "silent",
      };
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });

    test("tenant create --json prints the tenant and an API key that works, once", async () => {
      const r = await runCli([...data, "tenant", "create", "globex", "--json"], {
        env,
        scenario: "cli: tenant create",
      });
      assert.equal(r.status, 0, r.stderr);
      const { tenant, apiKey } = JSON.parse(r.stdout) as {
        tenant: { name: string; id: string };
        apiKey: string;
      };
      assert.equal(tenant.name, "globex");
      // The CLI prints times as the API does: RFC 3339 in UTC.
      assert.match(String((tenant as { createdAt?: unknown }).createdAt), rfc3339Utc);
      const me = await s.api("GET", "/v1/tenant", { apiKey, scenario: "cli: key from tenant create" });
      assert.equal((me.body.tenant as { id: string }).id, tenant.id);
      const list = await runCli([...data, "tenant", "list", "--json"], { env, scenario: "cli: tenant list" });
      assert.ok(
        (JSON.parse(list.stdout) as { tenants: { name: string }[] }).tenants.some((t) => t.name === "globex"),
      );
      assert.doesNotMatch(list.stdout, /tsk_/, "keys are shown once, at creation");
    });

    test("a taken or malformed tenant name is EnrollPartnerFailed", async () => {
      await runCli([...data, "tenant", "create", "initech"], { env, scenario: "cli: tenant create" });
      // A name shaped like a tenant id could be taken for another tenant's id (findTenant).
      for (const name of ["initech", "Bad Name", "0b7c6a5e-1f2d-4c3b-8a9e-7d6c5b4a3f21"]) {
        const r = await runCli([...data, "tenant", "create", name, "--json"], {
          env,
          scenario: "cli: tenant create refused",
        });
        assert.equal(r.status, 1);
        assert.equal(JSON.parse(r.stdout).errorCode, ApiReturnCode.EnrollPartnerFailed);
      }
    });

    test("tenant create --notify: sent over SMTP, or no tenant when it cannot be sent", async () => {
      const ok = await runCli([...data, "tenant", "create", "hooli", "--notify", "ops@hooli.test"], {
        env,
        scenario: "cli: tenant notify",
      });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(smtp.to("ops@hooli.test").length, 1);
      const refused = await runCli(
        [...data, "tenant", "create", "umbrella", "--notify", "ops@refused.test", "--json"],
        { env, scenario: "cli: tenant notify refused" },
      );
      assert.equal(refused.status, 1);
      assert.equal(JSON.parse(refused.stdout).errorCode, ApiReturnCode.EnrollPartnerSendNotoficationFailed);
      const list = await runCli([...data, "tenant", "list"], { env, scenario: "cli: tenant list" });
      assert.doesNotMatch(list.stdout, /umbrella/);
    });

    test("disabling a tenant stops its API keys; enabling restores them", async () => {
      const created = JSON.parse(
        (
          await runCli([...data, "tenant", "create", "vandelay", "--json"], {
            env,
            scenario: "cli: tenant create",
          })
        ).stdout,
      );
      await runCli([...data, "tenant", "disable", "vandelay"], { env, scenario: "cli: tenant disable" });
      assert.equal(
        (
          await s.api("GET", "/v1/tenant", {
            apiKey: created.apiKey,
            scenario: "cli: disabled tenant",
          })
        ).body.errorCode,
        ApiReturnCode.PartnerLoginFailed,
      );
      await runCli([...data, "tenant", "enable", "vandelay"], { env, scenario: "cli: tenant enable" });
      assert.equal(
        (
          await s.api("GET", "/v1/tenant", {
            apiKey: created.apiKey,
            scenario: "cli: enabled tenant",
          })
        ).status,
        200,
      );
    });

    test("user import: creates good rows, reports rejected ones by line, shows progress", async () => {
      await runCli([...data, "tenant", "create", "stark", "--json"], { env, scenario: "cli: tenant create" });
      const file = join(s.server.ctx.config.dataDir, "users.csv");
      writeFileSync(
        file,
        'username,email,firstName\r\nann,ann@stark.example,Ann\r\n"bad user",,\r\nann,,"Ann, again"\r\nbob,not-an-address,Bob\r\ncy,cy@stark.example,"Cy ""the"" Third"\r\n',
      );
      const r = await runCli([...data, "user", "import", "--tenant", "stark", file, "--json"], {
        env,
        scenario: "cli: user import",
      });
      assert.equal(r.status, 2, "rejected rows make the exit status 2");
      const summary = JSON.parse(r.stdout) as {
        created: number;
        rejected: { row: number; errorCode: number; errorMessage: string }[];
      };
      assert.equal(summary.created, 2);
      assert.deepEqual(
        summary.rejected.map((x) => x.row),
        [2, 3, 4],
      );
      for (const row of summary.rejected)
        recordObservedCode("api", row.errorCode, "cli: import rejected row");
      assert.ok(summary.rejected.every((x) => x.errorCode === ApiReturnCode.EnrollUserFailed));
      assert.match(summary.rejected[2]?.errorMessage ?? "", /email/);
      assert.match(r.stderr, /importing: 100% \(5\/5\)/);
      const list = await runCli([...data, "user", "list", "--tenant", "stark", "--json"], {
        env,
        scenario: "cli: user list",
      });
      const users = (JSON.parse(list.stdout) as { users: { username: string; firstName: string }[] }).users;
      assert.deepEqual(
        users.map((u) => [u.username, u.firstName]),
        [
          ["ann", "Ann"],
          ["cy", 'Cy "the" Third'],
        ],
      );
    });

    test("user import takes expiresAt only as an RFC 3339 date-time; junk, epoch numbers and impossible dates are rejected by line", async () => {
      await runCli([...data, "tenant", "create", "tyrell", "--json"], {
        env,
        scenario: "cli: tenant create",
      });
      const file = join(s.server.ctx.config.dataDir, "expiry.csv");
      const cells = [
        "2027-06-30T12:00:00Z",
        "2027-06-30t14:00:00.5+02:00",
        "-5",
        "1.5",
        "1700000000000",
        "2027-02-30T00:00:00Z",
        "2027-06-30",
        "2027-06-30T12:00:00",
        "2027-06-30T24:00:00Z",
        "2027-06-30T12:00:00+24:00",
        "June 30, 2027",
        "10000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
      ];
      writeFileSync(file, `username,expiresAt\n${cells.map((c, i) => `u${i},"${c}"`).join("\n")}\n`);
      const r = await runCli([...data, "user", "import", "--tenant", "tyrell", file, "--json"], {
        env,
        scenario: "cli: user import expiresAt",
      });
      assert.equal(r.status, 2);
      const summary = JSON.parse(r.stdout) as {
        created: number;
        rejected: { row: number; errorCode: number; errorMessage: string }[];
      };
      assert.equal(summary.created, 2);
      assert.deepEqual(
        summary.rejected.map((x) => x.row),
        cells.slice(2).map((_, i) => i + 3),
      );
      for (const row of summary.rejected) {
        recordObservedCode("api", row.errorCode, "cli: import rejected expiresAt");
        assert.equal(row.errorCode, ApiReturnCode.EnrollUserFailed);
        assert.match(row.errorMessage, /expiresAt must be an RFC 3339 date-time/, String(row.row));
      }
      const list = await runCli([...data, "user", "list", "--tenant", "tyrell", "--json"], {
        env,
        scenario: "cli: user list",
      });
      const users = (JSON.parse(list.stdout) as { users: { username: string; expiresAt: string }[] }).users;
      assert.deepEqual(
        users.map((u) => [u.username, u.expiresAt]),
        [
          ["u0", "2027-06-30T12:00:00.000Z"],
          ["u1", "2027-06-30T12:00:00.500Z"],
        ],
      );
    });

    test("user create reads the password from stdin, never from the command line", async () => {
      await runCli([...data, "tenant", "create", "wayne", "--json"], { env, scenario: "cli: tenant create" });
      const r = await runCli([...data, "user", "create", "bruce", "--tenant", "wayne", "--password-stdin"], {
        env,
        input: "i am batman\n",
        scenario: "cli: user create",
      });
      assert.equal(r.status, 0, r.stderr);
      const key = JSON.parse(
        (
          await runCli([...data, "api-key", "create", "--tenant", "wayne", "--json"], {
            env,
            scenario: "cli: api key",
          })
        ).stdout,
      ).apiKey as string;
      const login = await s.api("POST", "/v1/auth/password", {
        apiKey: key,
        body: { username: "bruce", password: "i am batman" },
        scenario: "cli: password from stdin",
      });
      assert.equal(login.status, 200);
    });

    test("user show and delete; an unknown user is InvalidPartnerUserLogin", async () => {
      await runCli([...data, "tenant", "create", "oscorp", "--json"], {
        env,
        scenario: "cli: tenant create",
      });
      await runCli(
        [...data, "user", "create", "norman", "--tenant", "oscorp", "--email", "n@oscorp.example"],
        { env, scenario: "cli: user create" },
      );
      const shown = await runCli([...data, "user", "show", "norman", "--tenant", "oscorp", "--json"], {
        env,
        scenario: "cli: user show",
      });
      assert.equal(JSON.parse(shown.stdout).user.email, "n@oscorp.example");
      assert.match(JSON.parse(shown.stdout).user.createdAt, rfc3339Utc);
      const lines = await runCli([...data, "user", "show", "norman", "--tenant", "oscorp"], {
        env,
        scenario: "cli: user show",
      });
      assert.match(lines.stdout, /^createdAt: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/m);
      const deleted = await runCli([...data, "user", "delete", "norman", "--tenant", "oscorp"], {
        env,
        scenario: "cli: user delete",
      });
      assert.equal(deleted.status, 0, deleted.stderr);
      const gone = await runCli([...data, "user", "show", "norman", "--tenant", "oscorp", "--json"], {
        env,
        scenario: "cli: user show deleted",
      });
      assert.equal(gone.status, 1);
      assert.equal(JSON.parse(gone.stdout).errorCode, ApiReturnCode.InvalidPartnerUserLogin);
    });

    test("token create shows a generated secret once: the URI and secret (a QR code only on a terminal, token-cli.test.ts), or JSON", async () => {
      await runCli([...data, "tenant", "create", "qr-co", "--json"], { env, scenario: "cli: tenant create" });
      const json = await runCli(
        [...data, "token", "create", "--tenant", "qr-co", "--type", "totp", "--json"],
        { env, scenario: "cli: token create" },
      );
      assert.equal(json.status, 0, json.stderr);
      assert.match(
        JSON.parse(json.stdout).provisioningUri,
        /^otpauth:\/\/totp\/qr-co:TOTP[0-9A-F]{10}\?secret=[A-Z2-7]{32}&/,
      );
      const drawn = await runCli([...data, "token", "create", "--tenant", "qr-co", "--type", "hotp"], {
        env,
        scenario: "cli: token create",
      });
      assert.match(drawn.stdout, /^otpauth URI: otpauth:\/\/hotp\/qr-co:HOTP[0-9A-F]{10}\?secret=/m);
    });

    test("audit verify passes on an intact trail that records operator and API actions", async () => {
      const r = await runCli([...data, "audit", "verify", "--json"], { env, scenario: "cli: audit verify" });
      assert.equal(r.status, 0, r.stdout);
      const result = JSON.parse(r.stdout) as { ok: boolean; events: number };
      assert.equal(result.ok, true);
      assert.ok(result.events > 10);
    });

    test("audit verify: a malformed --anchor is a usage error (exit 2), a mismatch is damage (exit 1), hex in any case", async () => {
      const head = JSON.parse(
        (await runCli([...data, "audit", "head", "--json"], { env, scenario: "cli: audit head" })).stdout,
      ) as { seq: number; hash: string };
      const upper = await runCli(
        [...data, "audit", "verify", "--json", "--anchor", `${head.seq}:${head.hash.toUpperCase()}`],
        { env, scenario: "cli: audit verify upper-case anchor" },
      );
      assert.equal(upper.status, 0, upper.stdout + upper.stderr);
      assert.equal(JSON.parse(upper.stdout).ok, true);
      for (const bad of [`${head.seq}:${head.hash.slice(1)}`, "x:y", `${head.seq}`]) {
        const r = await runCli([...data, "audit", "verify", "--anchor", bad], {
          env,
          scenario: "cli: audit verify malformed anchor",
        });
        assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
        assert.match(r.stderr, /--anchor <seq:hash>.*is invalid/s);
      }
      const unknownOption = await runCli([...data, "audit", "verify", "--anchr", "1:2"], {
        env,
        scenario: "cli: audit verify unknown option",
      });
      assert.equal(unknownOption.status, 2, unknownOption.stderr);
      // A well-formed anchor the trail does not hold is what tampering looks like: exit 1.
      const other = head.hash.startsWith("0") ? `1${head.hash.slice(1)}` : `0${head.hash.slice(1)}`;
      const mismatch = await runCli(
        [...data, "audit", "verify", "--json", "--anchor", `${head.seq}:${other}`],
        {
          env,
          scenario: "cli: audit verify anchor mismatch",
        },
      );
      assert.equal(mismatch.status, 1, mismatch.stdout);
      assert.equal(JSON.parse(mismatch.stdout).ok, false);
    });

    test("api keys: tenant create gives an admin key; api-key create takes scopes; an unknown scope is refused", async () => {
      const created = await runCli([...data, "tenant", "create", "cyberdyne", "--json"], {
        env,
        scenario: "cli: tenant create",
      });
      const admin = JSON.parse(created.stdout).apiKey as string;
      const scoped = await runCli(
        [...data, "api-key", "create", "--tenant", "cyberdyne", "--scope", "users", "tokens", "--json"],
        { env, scenario: "cli: api key scoped" },
      );
      assert.equal(scoped.status, 0, scoped.stderr);
      const { apiKey, key } = JSON.parse(scoped.stdout) as { apiKey: string; key: { scopes: string[] } };
      assert.deepEqual(key.scopes, ["users", "tokens"]);
      const list = await runCli([...data, "api-key", "list", "--tenant", "cyberdyne"], {
        env,
        scenario: "cli: api key list",
      });
      assert.match(list.stdout, /initial {2}\[admin\]/);
      assert.match(list.stdout, /cli {2}\[users tokens\]/);
      const keys = await s.api("GET", "/v1/api-keys", { apiKey: admin, scenario: "cli: admin key" });
      assert.equal(keys.status, 200, "the first key manages keys");
      const audit = await s.api("GET", "/v1/audit", { apiKey, scenario: "cli: scoped key outside scope" });
      assert.equal(audit.body.errorCode, ApiReturnCode.PartnerUserLoginFailedNotAdmin);
      const bad = await runCli(
        [...data, "api-key", "create", "--tenant", "cyberdyne", "--scope", "root", "--json"],
        { env, scenario: "cli: api key unknown scope" },
      );
      assert.equal(bad.status, 1);
      assert.equal(JSON.parse(bad.stdout).errorCode, TesseraApiCode.MalformedRequest);
      assert.match(JSON.parse(bad.stdout).errorMessage, /--scope root/);
    });

    test("api-key list and link jobs show every row, past one page of the store (500) and the old cut-off of 50 jobs", async () => {
      const { tenant } = await s.tenant("many-rows");
      const { db } = s.server.ctx.database;
      const owner = { db, tenantId: tenant.id };
      const now = s.clock.now();
      // Two rows per millisecond, so that a page boundary falls between rows of one time.
      for (let i = 0; i < 501; i += 1) await createApiKey(db, tenant.id, `k${i}`, ["auth"], now + (i >> 1));
      const credentialId = await credential(owner, (await user(owner, now)).id, now);
      const jobIds: string[] = [];
      for (let i = 0; i < 502; i += 1) jobIds.push(await finishedJob(owner, credentialId, now + (i >> 1)));
      const keys = await runCli([...data, "api-key", "list", "--tenant", "many-rows", "--json"], {
        env,
        scenario: "cli: api key list",
      });
      assert.equal(keys.status, 0, keys.stderr);
      const listed = (JSON.parse(keys.stdout) as { apiKeys: { id: string }[] }).apiKeys.map((k) => k.id);
      assert.equal(listed.length, 502, "the tenant's first key and the 501 created");
      assert.equal(new Set(listed).size, 502, "each key once");
      const jobs = await runCli([...data, "link", "jobs", "--tenant", "many-rows", "--json"], {
        env,
        scenario: "cli: link jobs",
      });
      assert.equal(jobs.status, 0, jobs.stderr);
      const shown = (JSON.parse(jobs.stdout) as { id: string }[]).map((j) => j.id);
      assert.equal(shown.length, 502);
      assert.deepEqual(new Set(shown), new Set(jobIds), "each job once");
    });

    test("user list shows every user, past the old cut-off of 10,000", async () => {
      const { tenant } = await s.tenant("crowd");
      const { db } = s.server.ctx.database;
      const now = s.clock.now();
      const count = 10_001;
      for (let from = 0; from < count; from += 1000) {
        const rows = Array.from({ length: Math.min(1000, count - from) }, (_, i) => ({
          id: randomUUID(),
          tenant_id: tenant.id,
          username: `crowd${String(from + i).padStart(5, "0")}`,
          disabled: 0,
          failed_attempts: 0,
          lock_count: 0,
          consecutive_failures: 0,
          created_at: now,
          updated_at: now,
        }));
        await db.insertInto("users").values(rows).execute();
      }
      const listed = await runCli([...data, "user", "list", "--tenant", "crowd", "--json"], {
        env,
        scenario: "cli: user list",
      });
      assert.equal(listed.status, 0, listed.stderr);
      const names = (JSON.parse(listed.stdout) as { users: { username: string }[] }).users.map(
        (u) => u.username,
      );
      assert.equal(names.length, count);
      assert.equal(new Set(names).size, count, "each user once");
      assert.equal(names.at(-1), "crowd10000");
    });

    test("--help describes every api-key and tenant command, and says a key without --scope is auth-only", async () => {
      for (const [group, names] of [
        ["api-key", ["create", "list", "revoke"]],
        ["tenant", ["create", "list", "disable", "enable", "set"]],
      ] as const) {
        const help = await runCli([group, "--help"], { env, scenario: "cli: help" });
        assert.equal(help.status, 0, help.stderr);
        for (const name of names) {
          const line = help.stdout.split("\n").find((l) => new RegExp(`^  ${name}\\b`).test(l));
          assert.match(line ?? "", /^ {2}\S.*\S {2,}\w{3,}/, `${group} ${name} has a description: ${line}`);
        }
      }
      const create = await runCli(["api-key", "create", "--help"], { env, scenario: "cli: help" });
      assert.match(create.stdout.replace(/\s+/g, " "), /without --scope the key may only call \/v1\/auth/);
    });

    test("tenant create says its key is an admin key; api-key create says a key without --scope is auth-only", async () => {
      const created = await runCli([...data, "tenant", "create", "soylent"], {
        env,
        scenario: "cli: tenant create",
      });
      assert.equal(created.status, 0, created.stderr);
      assert.match(created.stdout, /admin API key \(all scopes; shown once, store it now\): tsk_/);
      const plain = await runCli([...data, "api-key", "create", "--tenant", "soylent"], {
        env,
        scenario: "cli: api key",
      });
      assert.equal(plain.status, 0, plain.stderr);
      assert.match(plain.stdout, /\[auth\]/);
      assert.match(plain.stdout, /no --scope given: this key may only call \/v1\/auth/);
      const scoped = await runCli([...data, "api-key", "create", "--tenant", "soylent", "--scope", "users"], {
        env,
        scenario: "cli: api key scoped",
      });
      assert.doesNotMatch(scoped.stdout, /no --scope given/);
    });

    test("api-key create --scope takes comma- and space-separated lists, as the API's names", async () => {
      await runCli([...data, "tenant", "create", "massive", "--json"], {
        env,
        scenario: "cli: tenant create",
      });
      for (const scope of [["users,tokens"], ["users, tokens"], ["users tokens"], ["users,", "tokens"]]) {
        const r = await runCli(
          [...data, "api-key", "create", "--tenant", "massive", "--scope", ...scope, "--json"],
          {
            env,
            scenario: "cli: api key scope list",
          },
        );
        assert.equal(r.status, 0, `${scope}: ${r.stdout}${r.stderr}`);
        assert.deepEqual(JSON.parse(r.stdout).key.scopes, ["users", "tokens"], String(scope));
      }
      for (const scope of ["users,root", ",", "users;tokens"]) {
        const r = await runCli(
          [...data, "api-key", "create", "--tenant", "massive", "--scope", scope, "--json"],
          {
            env,
            scenario: "cli: api key unknown scope",
          },
        );
        assert.equal(r.status, 1, scope);
        assert.equal(JSON.parse(r.stdout).errorCode, TesseraApiCode.MalformedRequest, scope);
      }
    });

    test("token enable re-enables a disabled token and clears its lock, audited; another tenant's serial is DeviceNotFound", async () => {
      const admin = JSON.parse(
        (
          await runCli([...data, "tenant", "create", "acme-locks", "--json"], {
            env,
            scenario: "cli: tenant create",
          })
        ).stdout,
      ).apiKey as string;
      const scenario = "cli: token enable";
      await s.api("PATCH", "/v1/tenant", { apiKey: admin, body: { otpMaxFailures: 1 }, scenario });
      const serial = JSON.parse(
        (
          await runCli([...data, "token", "create", "--tenant", "acme-locks", "--type", "hotp", "--json"], {
            env,
            scenario,
          })
        ).stdout,
      ).serial as string;
      const wrong = await s.api("POST", `/v1/authenticators/${serial}/activate`, {
        apiKey: admin,
        body: { otp: "000000" },
        scenario,
      });
      assert.equal(
        wrong.body.errorCode,
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
        "the one allowed failure locks",
      );
      await s.api("POST", `/v1/authenticators/${serial}/disable`, { apiKey: admin, scenario });
      const show = async () =>
        (await s.api("GET", `/v1/authenticators/${serial}`, { apiKey: admin, scenario })).body
          .authenticator as {
          enabled: boolean;
          lockedUntil: string | null;
        };
      const before = await show();
      assert.equal(before.enabled, false);
      assert.notEqual(before.lockedUntil, null, "one wrong pair locked it");

      const enabled = await runCli([...data, "token", "enable", "--tenant", "acme-locks", serial], {
        env,
        scenario,
      });
      assert.equal(enabled.status, 0, enabled.stderr);
      assert.match(enabled.stdout, new RegExp(`token ${serial} enabled`));
      assert.deepEqual(await show(), { ...before, enabled: true, lockedUntil: null });
      const audit = await s.api("GET", "/v1/audit?operation=token.enable", { apiKey: admin, scenario });
      assert.deepEqual(
        (audit.body.events as { subject: string; actor: string }[]).map((e) => e.subject),
        [`authenticator:${serial}`],
      );

      await runCli([...data, "tenant", "create", "other-locks", "--json"], {
        env,
        scenario: "cli: tenant create",
      });
      for (const [tenant, name] of [
        ["other-locks", serial],
        ["acme-locks", "NOSUCHSERIAL"],
      ] as const) {
        const refused = await runCli([...data, "token", "enable", "--tenant", tenant, name, "--json"], {
          env,
          scenario: "cli: token enable refused",
        });
        assert.equal(refused.status, 1, name);
        assert.equal(JSON.parse(refused.stdout).errorCode, ApiReturnCode.DeviceNotFound);
      }
    });

    test("tenant set prints the settings that result, not just the name", async () => {
      await runCli([...data, "tenant", "create", "gringotts", "--json"], {
        env,
        scenario: "cli: tenant create",
      });
      const r = await runCli(
        [
          ...data,
          "tenant",
          "set",
          "gringotts",
          "--allowed-ip",
          "10.0.0.0/8",
          "--max-consecutive-failures",
          "7",
          "--expires-at",
          "2030-01-01T00:00:00Z",
        ],
        { env, scenario: "cli: tenant set" },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^gringotts {2}id=\S+ {2}state=enabled {2}expires=2030-01-01T00:00:00\.000Z$/m);
      assert.match(r.stdout, /^ {2}allowed IP ranges: 10\.0\.0\.0\/8$/m);
      assert.match(r.stdout, /^ {2}allowed e-mail domains: any$/m);
      assert.match(r.stdout, /^ {2}permanent lock after: 7 failures in a row$/m);
      const cleared = await runCli([...data, "tenant", "set", "gringotts", "--allowed-ip", "none"], {
        env,
        scenario: "cli: tenant set",
      });
      assert.match(cleared.stdout, /^ {2}allowed IP ranges: any$/m);
      // The same strict reading as the CSV import: Date.parse would take these as dates in 2001.
      for (const junk of ["-5", "1.5", "2030-02-30T00:00:00Z", "2030-01-01"]) {
        const refused = await runCli([...data, "tenant", "set", "gringotts", "--expires-at", junk], {
          env,
          scenario: "cli: tenant set bad expiry",
        });
        assert.equal(refused.status, 1, junk);
        assert.match(
          refused.stderr,
          /MalformedRequest \(9900\): --expires-at must be an RFC 3339 date-time/,
          junk,
        );
      }
    });
  });
}
