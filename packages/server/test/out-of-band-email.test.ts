import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { DeliveryFailed, deliverMessage } from "../src/out-of-band/transports/deliver-message.ts";
import type { Tenant } from "../src/tenants/tenant-store.ts";
import { bodyText, mailTo, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const message = (tenant: Tenant, to: string, code: string) =>
  ({
    tenant,
    method: "email",
    to,
    purpose: "sign-in-code",
    locale: "en",
    code,
    expiresInMinutes: 10,
  }) as const;

for (const backend of backends) {
  suite(`out-of-band e-mail through SMTP (${backend})`, () => {
    let sink: SmtpSink;
    let server: TestServer;
    let tenant: Tenant;
    before(async () => {
      sink = await startSmtpSink();
      server = await startTestServer(backend, { flags: smtpFlags(sink) });
      ({ tenant } = await server.tenant(`acme-mail-${backend}`));
    });
    after(async () => {
      await server.close();
      await sink.close();
    });

    test("a sign-in code reaches the SMTP server in the built-in English template", async () => {
      const sent = await deliverMessage(server.server.ctx, message(tenant, "ada@example.test", "482913"));
      assert.equal(sent.transport, "smtp");
      const [mail] = await mailTo(sink, "ada@example.test", 1);
      const text = bodyText(mail ?? { to: [], raw: "" });
      assert.match(text, /Subject: Your acme-mail-[a-z]+ sign-in code/);
      assert.match(text, /Your sign-in code for acme-mail-[a-z]+ is:\s+482913/);
      assert.match(text, /expires in 10 minutes/);
    });

    test("a refused recipient is DeliveryFailed with the SMTP error and never the code", async () => {
      await assert.rejects(
        deliverMessage(server.server.ctx, message(tenant, "bob@refused.test", "771204")),
        (error: unknown) => {
          assert.ok(error instanceof DeliveryFailed);
          assert.equal(error.method, "email");
          assert.match(error.message, /550|mailbox unavailable/);
          assert.doesNotMatch(error.message, /771204/);
          return true;
        },
      );
    });

    test("a refusal that repeats the address (as Postfix does) reaches neither the error nor its causes", async () => {
      const address = "Bob.Echo@echoes.test";
      await assert.rejects(
        deliverMessage(server.server.ctx, message(tenant, address, "530981")),
        (error: unknown) => {
          assert.ok(error instanceof DeliveryFailed);
          assert.match(error.message, /550|Recipient address rejected/);
          // What the server log shows: the message of the error and of each cause.
          for (let e: unknown = error; e instanceof Error; e = e.cause)
            assert.ok(!e.message.toLowerCase().includes(address.toLowerCase()), e.message);
          return true;
        },
      );
    });
  });
}

suite("out-of-band e-mail without SMTP", () => {
  test("with no smtp.host, sending is DeliveryFailed naming the setting", async () => {
    const server = await startTestServer("sqlite");
    try {
      const { tenant } = await server.tenant();
      await assert.rejects(
        deliverMessage(server.server.ctx, message(tenant, "ada@example.test", "123456")),
        (error: unknown) =>
          error instanceof DeliveryFailed &&
          /smtp\.host/.test(error.message) &&
          !/123456/.test(error.message),
      );
    } finally {
      await server.close();
    }
  });
});
