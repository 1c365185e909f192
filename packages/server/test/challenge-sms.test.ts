import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer } from "node:net";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import smpp, { type PDU } from "smpp";
import type { Call, SentChallenge } from "./helpers/challenge-devices.ts";
import { until } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const WEBHOOK_SECRET = "a-webhook-secret-of-at-least-32-characters";
const PHONE = "+14155552671";

/** An SMS gateway in the test: binds anyone, keeps every submit_sm it is sent. */
async function startGateway() {
  const submitted: { to: string; text: string }[] = [];
  const server = smpp.createServer((session) => {
    session.on("bind_transceiver", (pdu: PDU) => session.send(pdu.response()));
    session.on("enquire_link", (pdu: PDU) => session.send(pdu.response()));
    session.on("unbind", (pdu: PDU) => session.send(pdu.response()));
    session.on("submit_sm", (pdu: PDU) => {
      const message = (pdu.short_message ?? pdu.message_payload) as { message?: string } | string | Buffer;
      const text =
        typeof message === "object" && !Buffer.isBuffer(message) ? String(message.message) : String(message);
      submitted.push({ to: String(pdu.destination_addr), text });
      session.send(pdu.response({ message_id: `m${submitted.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    submitted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of server.sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A voice provider in the test: keeps every webhook body it is sent. */
async function startVoiceProvider() {
  const received: { method: string; to: string; text: string; purpose: string }[] = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    received.push(JSON.parse(body));
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/voice`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The one code in a message (a voice text says it twice, so it is heard). */
const codeIn = (text: string) => {
  const codes = [...new Set(text.match(/(?<!\d)(\d{8}|\d{6})(?!\d)/g) ?? [])];
  assert.equal(codes.length, 1, text);
  return codes[0] as string;
};

/** Phone devices end to end: the code read from a real SMPP peer (SMS) and the voice webhook. */
for (const backend of backends) {
  suite(`SMS and voice devices (${backend})`, () => {
    let s: TestServer;
    let gateway: Awaited<ReturnType<typeof startGateway>>;
    let voice: Awaited<ReturnType<typeof startVoiceProvider>>;
    let apiKey = "";
    before(async () => {
      gateway = await startGateway();
      voice = await startVoiceProvider();
      s = await startTestServer(backend, {
        flags: {
          "outOfBand.smsTransport": "smpp",
          "smpp.url": `smpp://127.0.0.1:${gateway.port}`,
          "smpp.systemId": "tessera",
          "smpp.password": "secret",
          "smpp.timeoutMs": 2000,
          "outOfBand.voiceTransport": "webhook",
          "outOfBand.webhookUrl": voice.url,
          "outOfBand.webhookSecret": WEBHOOK_SECRET,
        },
      });
      ({ apiKey } = await s.tenant(undefined, { challengeCountries: ["US"] }));
    });
    after(async () => {
      await s.close();
      await gateway.close();
      await voice.close();
    });
    const call: Call = (method, path, body, scenario) => s.api(method, path, { apiKey, body, scenario });
    const smsCode = async (count: number) => {
      await until(() => gateway.submitted.length >= count, `SMS ${count} at the gateway`);
      const message = gateway.submitted[count - 1];
      assert.ok(message !== undefined);
      assert.equal(message.to, PHONE.slice(1));
      return codeIn(message.text);
    };

    test("an SMS device is bound by a code over SMPP, then sends sign-in codes by SMS or by voice call", async () => {
      await call(
        "POST",
        "/v1/users",
        { username: "phoner", password: "correct horse battery" },
        "sms: setup",
      );
      const created = await call(
        "POST",
        "/v1/authenticators",
        { type: "sms", username: "phoner", destination: "+1 (415) 555-2671" },
        "sms: bind",
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const challenge = created.body.challenge as SentChallenge;
      assert.equal(challenge.method, "sms");
      assert.equal(challenge.maskedDestination, "+1•••••••671");
      const activated = await call(
        "POST",
        `/v1/authenticators/${challenge.serial}/activate`,
        { otp: await smsCode(1), challengeId: challenge.challengeId },
        "sms: activate",
      );
      assert.equal(activated.body.errorCode, 0, JSON.stringify(activated.body));

      const bySms = await call("POST", "/v1/auth/challenge", { username: "phoner" }, "sms: send");
      assert.equal(bySms.body.method, "sms");
      const ok = await call(
        "POST",
        "/v1/auth/otp",
        { username: "phoner", otp: await smsCode(2), challengeId: bySms.body.challengeId },
        "sms: sign in",
      );
      assert.equal(ok.body.errorCode, 0, JSON.stringify(ok.body));

      const byVoice = await call(
        "POST",
        "/v1/auth/challenge",
        { username: "phoner", method: "voice" },
        "sms: voice",
      );
      assert.equal(byVoice.body.method, "voice", JSON.stringify(byVoice.body));
      const call1 = voice.received.at(-1);
      assert.ok(call1 !== undefined);
      assert.deepEqual([call1.method, call1.to, call1.purpose], ["voice", PHONE, "sign-in-code"]);
      const voiced = await call(
        "POST",
        "/v1/auth/otp",
        { username: "phoner", otp: codeIn(call1.text), challengeId: byVoice.body.challengeId },
        "sms: sign in by voice",
      );
      assert.equal(voiced.body.errorCode, 0, JSON.stringify(voiced.body));
      refusedMethod(
        await call("POST", "/v1/auth/challenge", { username: "phoner", method: "email" }, "sms: by e-mail"),
      );
    });

    test("a number in a country the tenant does not send to is refused at binding, naming the field", async () => {
      await call(
        "POST",
        "/v1/users",
        { username: "abroad", password: "correct horse battery" },
        "sms: setup",
      );
      const sent = gateway.submitted.length;
      const r = await call(
        "POST",
        "/v1/authenticators",
        { type: "sms", username: "abroad", destination: "+33612345678" },
        "sms: country not allowed",
      );
      assert.equal(r.body.errorCode, ApiReturnCode.InvalidDeviceConfig, JSON.stringify(r.body));
      assert.equal((r.body as { field?: string }).field, "body.destination");
      assert.match(r.body.errorMessage, /challengeCountries/);
      assert.equal(gateway.submitted.length, sent, "nothing was sent");
    });

    const refusedMethod = (r: { body: { errorCode: number } }) =>
      assert.equal(r.body.errorCode, ApiReturnCode.SendOTPInvalidDeliveryMethod, JSON.stringify(r.body));
  });

  suite(`SMS gateway unreachable (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    before(async () => {
      // SMPP pointed at a loopback port nobody listens on: the bind's connection is refused.
      const port = await closedPort();
      s = await startTestServer(backend, {
        flags: {
          "outOfBand.smsTransport": "smpp",
          "smpp.url": `smpp://127.0.0.1:${port}`,
          "smpp.systemId": "tessera",
          "smpp.timeoutMs": 2000,
        },
      });
      ({ apiKey } = await s.tenant(undefined, { challengeCountries: ["US"] }));
    });
    after(() => s.close());

    test("a refused SMPP connection is SMSSendError, and the device is not created", async () => {
      const call: Call = (method, path, body, scenario) => s.api(method, path, { apiKey, body, scenario });
      await call(
        "POST",
        "/v1/users",
        { username: "unlucky", password: "correct horse battery" },
        "sms: setup",
      );
      const r = await call(
        "POST",
        "/v1/authenticators",
        { type: "sms", username: "unlucky", destination: PHONE },
        "sms: gateway unreachable",
      );
      assert.equal(r.status, 502, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, ApiReturnCode.SMSSendError);
      const listed = await call("GET", "/v1/users/unlucky/authenticators", undefined, "sms: list");
      assert.deepEqual(listed.body.authenticators, []);
    });
  });
}
