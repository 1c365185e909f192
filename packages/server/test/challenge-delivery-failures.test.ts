import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { insertSealedAuthenticator } from "../src/authenticators/authenticator-secret.ts";
import type { Call } from "./helpers/challenge-devices.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** A loopback port nobody listens on: bound once to learn a free number, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

/**
 * Real transport failures: SMTP pointed at a loopback port nobody listens on (the connection is
 * refused), and SMS with no transport configured (the default). The answer is the catalog's send error; nothing is created
 * and no code is left behind.
 */
for (const backend of backends) {
  suite(`challenge delivery failures (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    before(async () => {
      const port = await closedPort();
      s = await startTestServer(backend, {
        flags: { "smtp.host": "127.0.0.1", "smtp.port": port, "smtp.timeoutMs": 2000 },
      });
      // SMS to a US number must get past the anti-pumping country allow-list (empty by default).
      const created = await s.tenant(undefined, { challengeCountries: ["US"] });
      apiKey = created.apiKey;
      tenantId = created.tenant.id;
    });
    after(() => s.close());
    const call: Call = (method, path, body, scenario) => s.api(method, path, { apiKey, body, scenario });
    const user = async (username: string) => {
      const r = await call(
        "POST",
        "/v1/users",
        { username, password: "correct horse battery" },
        "delivery: setup",
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
    };
    const devices = async (username: string) =>
      (await call("GET", `/v1/users/${username}/authenticators`, undefined, "delivery: list")).body
        .authenticators;
    const codeRows = () => s.server.ctx.database.db.selectFrom("challenge_codes").select("id").execute();

    test("SMS with no transport configured is SMSSendError, and the device is not created", async () => {
      await user("texter");
      const r = await call(
        "POST",
        "/v1/authenticators",
        { type: "sms", username: "texter", destination: "+14155552671" },
        "delivery: sms without transport",
      );
      assert.equal(r.status, 502, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.SMSSendError);
      assert.doesNotMatch(r.body.errorMessage, /\d{6}/);
      // Retrying cannot help: the answer names the operator's setting that is missing.
      assert.match(r.body.errorMessage, /outOfBand\.smsTransport/);
      assert.doesNotMatch(r.body.errorMessage, /try again/);
      assert.deepEqual(await devices("texter"), []);
    });

    test("e-mail with no SMTP server configured (the default) is EmailSendError naming smtp.host", async () => {
      const bare = await startTestServer(backend);
      try {
        const { apiKey: key } = await bare.tenant();
        const made = await bare.api("POST", "/v1/users", {
          apiKey: key,
          body: { username: "nomail" },
          scenario: "delivery: setup",
        });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        const r = await bare.api("POST", "/v1/authenticators", {
          apiKey: key,
          body: { type: "email", username: "nomail", destination: "nomail@mail.example" },
          scenario: "delivery: email without smtp",
        });
        assert.equal(r.status, 502, JSON.stringify(r.body));
        assert.equal(r.body.errorCode, ApiReturnCode.EmailSendError);
        // Retrying cannot help: the answer names the operator's setting that is missing.
        assert.match(r.body.errorMessage, /smtp\.host/);
        assert.doesNotMatch(r.body.errorMessage, /try again/);
      } finally {
        await bare.close();
      }
    });

    test("SMTP refused: EmailSendError for binding and for a sign-in code, nothing stored", async () => {
      await user("mailer");
      // A verified device, stored through the store itself: verifying it needs the mail that fails here.
      const { db } = s.server.ctx.database;
      const holder = await db
        .selectFrom("users")
        .select("id")
        .where("username", "=", "mailer")
        .executeTakeFirstOrThrow();
      const serial = "EMAILFAILS1";
      const fields = { tenant_id: tenantId, serial, type: "email", user_id: holder.id, activated: 1 };
      const device = { ...fields, algorithm: "none", digits: 6, period: null, position: 0, seed_revealed: 0 };
      assert.ok(
        await insertSealedAuthenticator(
          s.server.ctx,
          device,
          Buffer.from("mailer@mail.example"),
          s.clock.now(),
        ),
      );
      const before = (await codeRows()).length;
      const sent = await call("POST", "/v1/auth/challenge", { username: "mailer" }, "delivery: smtp down");
      assert.equal(sent.status, 502, JSON.stringify(sent.body));
      assert.equal(sent.body.errorCode, ApiReturnCode.EmailSendError);
      const bound = await call(
        "POST",
        "/v1/authenticators",
        { type: "email", username: "mailer", destination: "second@mail.example" },
        "delivery: smtp down",
      );
      assert.equal(bound.body.errorCode, ApiReturnCode.EmailSendError, JSON.stringify(bound.body));
      assert.deepEqual(
        ((await devices("mailer")) as { serial: string }[]).map((d) => d.serial),
        [serial],
      );
      assert.equal((await codeRows()).length, before);
    });
  });
}
