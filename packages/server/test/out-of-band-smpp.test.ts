import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { loadConfig } from "../src/config/load-config.ts";
import { DeliveryFailed, deliverMessage } from "../src/out-of-band/transports/deliver-message.ts";
import { parseReceipt, SmppClient } from "../src/out-of-band/transports/smpp-client.ts";
import type { Tenant } from "../src/tenants/tenant-store.ts";
import { until } from "./helpers/link.ts";
import { testAuthority } from "./helpers/site-servers.ts";
import { type SmppGateway, startSmppGateway } from "./helpers/smpp-gateway.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const credentials = { systemId: "tessera", password: "s3cret" };

const smppFlags = (url: string, password = credentials.password) => ({
  "outOfBand.smsTransport": "smpp",
  "smpp.url": url,
  "smpp.systemId": credentials.systemId,
  "smpp.password": password,
  "smpp.sourceAddress": "Tessera",
  // Failure tests wait for this timeout; the production default is 10 s.
  "smpp.timeoutMs": 1000,
});

const sms = (tenant: Tenant, code: string, locale = "en") =>
  ({
    tenant,
    method: "sms",
    to: "+447700900123",
    purpose: "sign-in-code",
    locale,
    code,
    expiresInMinutes: 10,
  }) as const;

/** The first defined value `read` gives (the receipt is recorded after it arrives). */
async function waitFor<T>(read: () => Promise<T | undefined>): Promise<T> {
  let value: T | undefined;
  await until(async () => {
    value = await read();
    return value !== undefined;
  }, "a value");
  return value as T;
}

/** The DeliveryFailed a send ends in; fails the test if it succeeds or throws anything else. */
async function failure(sending: Promise<unknown>): Promise<DeliveryFailed> {
  try {
    await sending;
  } catch (error) {
    assert.ok(error instanceof DeliveryFailed, String(error));
    return error;
  }
  return assert.fail("the send succeeded");
}

for (const backend of backends) {
  suite(`SMS over SMPP 3.4 (${backend})`, () => {
    let gateway: SmppGateway;
    let server: TestServer;
    let tenant: Tenant;
    before(async () => {
      gateway = await startSmppGateway(credentials);
      server = await startTestServer(backend, { flags: smppFlags(gateway.url) });
      ({ tenant } = await server.tenant(`smpp-${backend}`));
    });
    after(async () => {
      await server.close();
      await gateway.close();
    });

    test("the gateway receives the submitted message, and its delivery receipt is audited and counted", async () => {
      const sent = await deliverMessage(server.server.ctx, sms(tenant, "318274"));
      assert.equal(sent.transport, "smpp");
      const submitted = gateway.submitted.find((s) => s.messageId === sent.messageId);
      assert.ok(submitted, "the gateway has the message");
      assert.equal(submitted.to, "447700900123");
      assert.equal(submitted.from, "Tessera");
      assert.equal(submitted.registeredDelivery, 1);
      assert.match(submitted.text, /^318274 is your smpp-\w+ sign-in code\. It expires in 10 minutes\./);

      await gateway.receipt(submitted.messageId, "DELIVRD");
      const { db } = server.server.ctx.database;
      const event = await waitFor(() =>
        db
          .selectFrom("audit_events")
          .selectAll()
          .where("subject", "=", `sms:${submitted.messageId}`)
          .executeTakeFirst(),
      );
      assert.equal(event.operation, "sms.delivery-receipt DELIVRD");
      assert.equal(event.tenant_id, tenant.id);
      assert.equal(event.result_code, 0);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /tessera_sms_delivery_receipts_total\{state="DELIVRD"\} 1/);
      assert.match(
        metrics,
        /tessera_out_of_band_messages_total\{method="sms",transport="smpp",result="sent"\} [1-9]/,
      );
    });

    test("an undelivered receipt is audited with SMSSendError", async () => {
      const sent = await deliverMessage(server.server.ctx, sms(tenant, "550011"));
      await gateway.receipt(String(sent.messageId), "UNDELIV");
      const { db } = server.server.ctx.database;
      const event = await waitFor(() =>
        db
          .selectFrom("audit_events")
          .selectAll()
          .where("subject", "=", `sms:${sent.messageId}`)
          .executeTakeFirst(),
      );
      assert.equal(event.result_code, ApiReturnCode.SMSSendError);
    });

    test("the session is kept: further messages do not bind again; a lost session is bound again", async () => {
      const bindsBefore = gateway.binds;
      await deliverMessage(server.server.ctx, sms(tenant, "100001"));
      await deliverMessage(server.server.ctx, sms(tenant, "100002", "de-CH"));
      assert.equal(gateway.binds, bindsBefore);
      assert.match(gateway.submitted.at(-1)?.text ?? "", /^100002 ist Ihr Anmeldecode/);
      gateway.dropSessions();
      await waitFor(async () => {
        try {
          await deliverMessage(server.server.ctx, sms(tenant, "100003"));
          return true;
        } catch {
          // The drop may be noticed by this send; the next one binds again.
          return undefined;
        }
      });
      assert.equal(gateway.binds, bindsBefore + 1);
      assert.equal(gateway.submitted.at(-1)?.text.slice(0, 6), "100003");
    });

    test("a gateway that never answers submit_sm: DeliveryFailed after smpp.timeoutMs, without the code", async () => {
      gateway.mode = "silent-submit";
      try {
        const error = await failure(deliverMessage(server.server.ctx, sms(tenant, "909090")));
        assert.equal(error.method, "sms");
        assert.match(error.message, /no submit_sm_resp within 1000 ms/);
        assert.doesNotMatch(error.message, /909090/);
      } finally {
        gateway.mode = "normal";
      }
      // The next message binds a fresh session and goes through.
      await deliverMessage(server.server.ctx, sms(tenant, "909091"));
    });
  });
}

test("a burst of 20 concurrent SMS on a fresh server binds one session and submits each message once", async () => {
  const gateway = await startSmppGateway(credentials);
  const server = await startTestServer("sqlite", { flags: smppFlags(gateway.url) });
  try {
    const { tenant } = await server.tenant();
    const codes = Array.from({ length: 20 }, (_, i) => String(200000 + i));
    const sent = await Promise.all(codes.map((code) => deliverMessage(server.server.ctx, sms(tenant, code))));
    assert.equal(gateway.binds, 1);
    assert.equal(new Set(sent.map((s) => s.messageId)).size, 20);
    assert.deepEqual(gateway.submitted.map((s) => s.text.slice(0, 6)).sort(), codes);
  } finally {
    await server.close();
    await gateway.close();
  }
});

test("a text longer than one SMS reaches the gateway whole (message_payload)", async () => {
  const gateway = await startSmppGateway(credentials);
  const client = new SmppClient(loadConfig({ env: {}, flags: smppFlags(gateway.url) }).smpp, () => {});
  try {
    const long = `123456 ${"long text ".repeat(25)}`;
    await client.submit("+447700900123", long);
    assert.equal(gateway.submitted.at(-1)?.text, long);
    await client.submit("+447700900123", "654321 short");
    assert.equal(gateway.submitted.at(-1)?.text, "654321 short");
  } finally {
    await client.close();
    await gateway.close();
  }
});

suite("SMPP failures", () => {
  test("a refused bind (wrong password) is DeliveryFailed naming the SMPP status", async () => {
    const gateway = await startSmppGateway(credentials);
    const server = await startTestServer("sqlite", { flags: smppFlags(gateway.url, "wrong") });
    try {
      const { tenant } = await server.tenant();
      const error = await failure(deliverMessage(server.server.ctx, sms(tenant, "246810")));
      assert.match(error.message, /refused the bind: ESME_RINVPASWD/);
      assert.doesNotMatch(error.message, /246810|wrong/);
      assert.equal(gateway.submitted.length, 0);
    } finally {
      await server.close();
      await gateway.close();
    }
  });

  test("ssmpp:// to a gateway whose certificate is not trusted fails closed, naming the TLS error", async () => {
    const gateway = await startSmppGateway(credentials, testAuthority());
    const server = await startTestServer("sqlite", { flags: smppFlags(gateway.url) });
    try {
      const { tenant } = await server.tenant();
      const error = await failure(deliverMessage(server.server.ctx, sms(tenant, "575757")));
      assert.match(error.message, /cannot reach the SMS gateway 127\.0\.0\.1:\d+: \w*(CERT|VERIFY)\w*/);
      assert.equal(gateway.binds, 0);
      assert.equal(gateway.submitted.length, 0);
    } finally {
      await server.close();
      await gateway.close();
    }
  });

  test("a closed port is DeliveryFailed naming the connection error", async () => {
    // A port that was just free: nobody listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const server = await startTestServer("sqlite", { flags: smppFlags(`smpp://127.0.0.1:${port}`) });
    try {
      const { tenant } = await server.tenant();
      const error = await failure(deliverMessage(server.server.ctx, sms(tenant, "135791")));
      assert.match(error.message, /ECONNREFUSED/);
      assert.doesNotMatch(error.message, /135791/);
    } finally {
      await server.close();
    }
  });

  test("a gateway that accepts the connection but never answers the bind: DeliveryFailed after the timeout", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const server = await startTestServer("sqlite", { flags: smppFlags(`smpp://127.0.0.1:${port}`) });
    try {
      const { tenant } = await server.tenant();
      const started = Date.now();
      const error = await failure(deliverMessage(server.server.ctx, sms(tenant, "112233")));
      assert.match(error.message, /no SMPP bind within 1000 ms/);
      assert.ok(Date.now() - started < 5000);
    } finally {
      await server.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

test("a receipt's state is one of SMPP's final states: anything else a gateway writes is UNKNOWN (it labels a metric)", () => {
  const receipt = (stat: string) =>
    parseReceipt({
      short_message: { message: `id:abc sub:001 dlvrd:000 stat:${stat} err:000 text:` },
    } as never);
  assert.equal(receipt("delivrd")?.state, "DELIVRD");
  assert.equal(receipt("UNDELIV")?.state, "UNDELIV");
  for (const stat of ["ZZZZZZZ", "A1B2C3D", "ENROUTX", '{}"=', "0"])
    assert.equal(receipt(stat)?.state, "UNKNOWN", stat);
  // The TLV's number, out of range, is no state either.
  assert.equal(parseReceipt({ receipted_message_id: "abc", message_state: 99 } as never)?.state, "UNKNOWN");
});
