import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { redactUrl } from "../src/app/log-redaction.ts";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { apiRequest, assertOutcome, outcomeOf } from "./helpers/api-client.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const STEP = 30_000;

for (const backend of backends) {
  suite(`soft-token provisioning (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    /** The app's redemption: a POST asking for JSON. */
    const redeem = (url: string, scenario: string) =>
      apiRequest(local(url), { method: "POST", headers: { accept: "application/json" }, scenario });
    const local = (url: string) => url.replace(/^https?:\/\/[^/]+/, s.url);

    /** A tenant with an unassigned TOTP token and an open link for it. */
    const linked = async () => {
      const { apiKey } = await s.tenant();
      const created = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp" },
        scenario: "provisioning: setup",
      });
      const serial = (created.body.authenticator as { serial: string }).serial;
      const link = await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
        apiKey,
        scenario: "provisioning: link",
      });
      return { apiKey, serial, url: local(String(link.body.url)) };
    };

    test("opening the link (GET) shows a button and no secret, spends nothing, and is audited", async () => {
      const { apiKey, serial, url } = await linked();
      for (let i = 0; i < 3; i += 1) {
        const page = await fetch(url);
        assert.equal(page.status, 200);
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
        assert.equal(page.headers.get("cache-control"), "no-store");
        assert.equal(page.headers.get("referrer-policy"), "no-referrer");
        assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
        const text = await page.text();
        assert.match(text, /<form method="post">/);
        assert.doesNotMatch(text, /otpauth:|secret=/i);
      }
      const redeemed = await redeem(url, "provisioning: first");
      assertOutcome(redeemed, ApiReturnCode.Provisioned, "the GETs did not spend the link");
      const audit = await s.api("GET", `/v1/audit?subject=authenticator:${serial}`, {
        apiKey,
        scenario: "provisioning: audit",
      });
      const events = (audit.body.events as { operation: string; resultCode: number }[]).map(
        (e) => `${e.operation} ${e.resultCode}`,
      );
      assert.equal(events.filter((e) => e === "GET /provision/:token 0").length, 3);
      assert.ok(events.includes(`POST /provision/:token ${ApiReturnCode.Provisioned}`), events.join(", "));
    });

    test("a browser's POST shows the secret and a QR code once, activating the token; the next POST is refused", async () => {
      const { apiKey, serial, url } = await linked();
      const token = () =>
        s.api("GET", `/v1/authenticators/${serial}`, { apiKey, scenario: "provisioning: state" });
      assert.equal(((await token()).body.authenticator as { activated: boolean }).activated, false);
      const shown = await fetch(url, { method: "POST", headers: { accept: "text/html" } });
      assert.equal(shown.status, 201);
      // As docs/authenticators.md says: redemption activates without a code, on the page path too.
      assert.equal(((await token()).body.authenticator as { activated: boolean }).activated, true);
      const text = await shown.text();
      assert.match(text, /src="data:image\/png;base64,/);
      assert.match(text, /href="otpauth:\/\/totp\//);
      assert.match(text, /<code id="secret">[A-Z2-7]{32}<\/code>/);
      const again = await fetch(url, { method: "POST", headers: { accept: "text/html" } });
      assert.equal(again.status, 409);
      const refused = await again.text();
      assert.doesNotMatch(refused, /otpauth:|<code id="secret">/);
      assert.match(refused, /<title>This did not work<\/title>/);
      const json = await redeem(url, "provisioning: link reused");
      assert.equal(json.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);
    });

    test("a burst of concurrent redemptions gives the secret to exactly one", async () => {
      const { url } = await linked();
      const results = await Promise.all(Array.from({ length: 20 }, () => redeem(url, "provisioning: burst")));
      assert.equal(results.filter((r) => typeof r.body.secret === "string").length, 1);
      assert.equal(results.filter((r) => outcomeOf(r) === ApiReturnCode.Provisioned).length, 1);
      assert.equal(
        results.filter((r) => r.body.errorCode === ApiReturnCode.DeviceAlreadyProvisioned).length,
        19,
      );
    });

    test("another tenant cannot reach the token behind a link, and a withdrawn link is refused", async () => {
      const { apiKey, serial, url } = await linked();
      const other = await s.tenant();
      const foreign = await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
        apiKey: other.apiKey,
        scenario: "provisioning: other tenant",
      });
      assert.equal(foreign.body.errorCode, ApiReturnCode.DeviceNotFound);
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "olga" },
        scenario: "provisioning: setup",
      });
      await s.api("POST", `/v1/authenticators/${serial}/assign`, {
        apiKey,
        body: { username: "olga" },
        scenario: "provisioning: setup",
      });
      await s.api("POST", `/v1/authenticators/${serial}/unassign`, {
        apiKey,
        scenario: "provisioning: unassign",
      });
      const withdrawn = await redeem(url, "provisioning: withdrawn link");
      assert.equal(withdrawn.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);
    });

    test("a link works once: Provisioned, then DeviceAlreadyProvisioned; a new link Reprovisions with a new secret", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "pam" },
        scenario: "provisioning: setup",
      });
      const created = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", username: "pam" },
        scenario: "provisioning: setup",
      });
      const serial = (created.body.authenticator as { serial: string }).serial;
      const link = async () =>
        (
          await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
            apiKey,
            scenario: "provisioning: link",
          })
        ).body.url as string;
      const open = (url: string, scenario: string) => redeem(url, scenario);

      const first = await link();
      assert.match(first, /\/provision\/[A-Za-z0-9_-]{43}$/);
      const provisioned = await open(first, "provisioning: first");
      assert.equal(provisioned.status, 201);
      assertOutcome(provisioned, ApiReturnCode.Provisioned);
      const firstSecret = (decodeBase32(String(provisioned.body.secret)) ?? Buffer.alloc(0)).toString("hex");
      assert.match(String(provisioned.body.provisioningUri), /^otpauth:\/\/totp\//);
      const otp = (hex: string, scenario: string) =>
        s.api("POST", "/v1/auth/otp", {
          apiKey,
          body: { username: "pam", otp: oathtoolTotp(hex, s.clock.now()) },
          scenario,
        });
      assert.equal((await otp(firstSecret, "provisioning: code from the app")).body.errorCode, 0);

      const again = await open(first, "provisioning: link reused");
      assert.equal(again.status, 409);
      assert.equal(again.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);

      const second = await link();
      const reprovisioned = await open(second, "provisioning: second");
      assert.equal(reprovisioned.status, 200);
      assertOutcome(reprovisioned, ApiReturnCode.Reprovisioned);
      const secondSecret = (decodeBase32(String(reprovisioned.body.secret)) ?? Buffer.alloc(0)).toString(
        "hex",
      );
      assert.notEqual(secondSecret, firstSecret);
      s.clock.advance(STEP);
      assert.equal(
        (await otp(firstSecret, "provisioning: old secret")).body.errorCode,
        ApiReturnCode.OTPInvalid,
      );
      assert.equal((await otp(secondSecret, "provisioning: new secret")).body.errorCode, 0);
    });

    test("an expired or malformed link is NotFound, and links never reach the log", async () => {
      const { apiKey } = await s.tenant();
      const created = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "hotp" },
        scenario: "provisioning: setup",
      });
      const serial = (created.body.authenticator as { serial: string }).serial;
      const url = (
        await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
          apiKey,
          scenario: "provisioning: link",
        })
      ).body.url as string;
      s.clock.advance(15 * 60_000);
      const late = await redeem(url, "provisioning: expired");
      assert.equal(late.status, 404);
      assert.equal(late.body.errorCode, TesseraApiCode.NotFound);
      assert.equal((await redeem(`${s.url}/provision/short`, "provisioning: malformed")).status, 404);
      assert.equal(redactUrl(new URL(url).pathname), "/provision/[redacted]");
    });

    test("a used or replaced link tells the person to ask for a new one, not to refresh", async () => {
      const { apiKey, serial, url } = await linked();
      const spent = "This link was already used or replaced. Ask for a new one.";
      const replacement = await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
        apiKey,
        scenario: "provisioning: link",
      });
      const replaced = await fetch(url, { headers: { accept: "text/html" } });
      assert.equal(replaced.status, 409);
      const replacedText = await replaced.text();
      assert.ok(replacedText.includes(spent), replacedText);
      assert.doesNotMatch(replacedText, /Refresh and try again/);
      const second = local(String(replacement.body.url));
      assert.equal((await fetch(second, { method: "POST", headers: { accept: "text/html" } })).status, 201);
      for (const method of ["GET", "POST"]) {
        const used = await fetch(second, { method, headers: { accept: "text/html" } });
        assert.equal(used.status, 409, method);
        assert.ok((await used.text()).includes(spent), method);
      }
      const app = await redeem(second, "provisioning: link reused");
      assert.equal(
        app.body.errorCode,
        ApiReturnCode.DeviceAlreadyProvisioned,
        "an app still gets the envelope",
      );
    });

    test("an app's GET gets the envelope and what to do next; its POST may carry an empty JSON body", async () => {
      const { url } = await linked();
      const hint = await apiRequest(url, {
        method: "GET",
        headers: { accept: "application/json" },
        scenario: "provisioning: app opens the link",
      });
      assert.equal(hint.status, 200);
      assert.match(hint.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(hint.body.errorCode, 0);
      assert.match(String(hint.body.reveal), /^POST this URL/);
      assert.match(String(hint.body.expiresAt), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.equal(hint.body.secret, undefined);
      const redeemed = await apiRequest(url, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: "",
        scenario: "provisioning: empty JSON body",
      });
      assert.equal(redeemed.status, 201);
      assertOutcome(redeemed, ApiReturnCode.Provisioned);
      const broken = await apiRequest(url, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: "{",
        scenario: "provisioning: broken JSON body",
      });
      assert.equal(broken.status, 400, "a body that is there must still be JSON");
    });

    test("an assigned token's link is labelled with the holder, and a code checked by serial names the holder", async () => {
      const { apiKey, tenant } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "bob" },
        scenario: "provisioning: setup",
      });
      const created = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", username: "bob" },
        scenario: "provisioning: setup",
      });
      const serial = (created.body.authenticator as { serial: string }).serial;
      const link = await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
        apiKey,
        scenario: "provisioning: link",
      });
      const done = await redeem(String(link.body.url), "provisioning: first");
      const uri = new URL(String(done.body.provisioningUri));
      assert.equal(decodeURIComponent(uri.pathname), `/${tenant.name}:bob`);
      const secret = (decodeBase32(String(done.body.secret)) ?? Buffer.alloc(0)).toString("hex");
      const bySerial = await s.api("POST", "/v1/auth/otp", {
        apiKey,
        body: { serial, otp: oathtoolTotp(secret, s.clock.now()) },
        scenario: "otp: by serial",
      });
      assert.equal(bySerial.body.errorCode, 0);
      assert.deepEqual([bySerial.body.serial, bySerial.body.username], [serial, "bob"]);
    });
  });
}

/** On PostgreSQL, redemptions spread over two server processes still give the secret once. */
suite("provisioning links on two server processes (postgres)", () => {
  let database: TestDatabase;
  let servers: ServerProcess[] = [];
  let apiKey = "";
  before(async () => {
    database = await createTestDatabase("postgres");
    const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
    const created = await runCli([...data, "tenant", "create", "shared", "--json"], {
      scenario: "provisioning: setup",
    });
    apiKey = JSON.parse(created.stdout).apiKey;
    servers = [await startServerProcess(data), await startServerProcess(data)];
  });
  after(async () => {
    for (const server of servers) await server.stop("SIGKILL");
    await database.drop();
  });

  test("a burst of POSTs across both processes: exactly one receives the secret", async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const call = (path: string, body: unknown) =>
      apiRequest(`${a.url}${path}`, {
        method: "POST",
        scenario: "provisioning: two processes",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const created = await call("/v1/authenticators", { type: "totp" });
    const serial = (created.body.authenticator as { serial: string }).serial;
    const link = await call(`/v1/authenticators/${serial}/provisioning-link`, {});
    const path = new URL(String(link.body.url)).pathname;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        apiRequest(`${(i % 2 === 0 ? a : b).url}${path}`, {
          method: "POST",
          headers: { accept: "application/json" },
          scenario: "provisioning: two-process burst",
        }),
      ),
    );
    assert.equal(results.filter((r) => typeof r.body.secret === "string").length, 1);
    assert.equal(
      results.filter((r) => r.body.errorCode === ApiReturnCode.DeviceAlreadyProvisioned).length,
      19,
    );
  });
});
