import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe as suite, test } from "node:test";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { verifySignature } from "../src/link/webhooks/webhook-signature.ts";
import { DeliveryFailed, deliverMessage } from "../src/out-of-band/transports/deliver-message.ts";
import type { Tenant } from "../src/tenants/tenant-store.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secret = "a-webhook-secret-of-at-least-32-characters";

/**
 * A provider's receiver as docs/authenticators.md tells one to write it: it verifies the signature
 * over the raw body before reading the JSON, and refuses (401) anything that does not verify.
 */
interface Receiver {
  readonly url: string;
  readonly accepted: {
    method: string;
    to: string;
    text: string;
    purpose: string;
    locale: string;
    messageId: string;
  }[];
  readonly refused: number;
  /** What the receiver does with a request: verify (default), answer a status, or never answer. */
  behaviour: "verify" | "500" | "hang";
  /** Changes the body before it is verified, as a man in the middle would. */
  tamper: ((body: string) => string) | undefined;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const sockets = new Set<Socket>();
  let refused = 0;
  const receiver: Receiver = {
    url: "",
    accepted: [],
    get refused() {
      return refused;
    },
    behaviour: "verify",
    tamper: undefined,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (receiver.behaviour === "hang") return;
      if (receiver.behaviour === "500") return response.writeHead(500).end("provider down");
      const raw = Buffer.concat(chunks).toString("utf8");
      const body = receiver.tamper?.(raw) ?? raw;
      const header = request.headers["tessera-signature"];
      if (
        typeof header !== "string" ||
        !verifySignature(secret, header, body, Math.floor(Date.now() / 1000))
      ) {
        refused += 1;
        return response.writeHead(401).end();
      }
      receiver.accepted.push(JSON.parse(body));
      response.writeHead(202).end();
    });
  });
  server.on("connection", (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(receiver, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms` });
}

const message = (tenant: Tenant, method: "sms" | "voice", code: string) =>
  ({
    tenant,
    method,
    to: "+4915123456789",
    purpose: "device-verification",
    locale: "de",
    code,
    expiresInMinutes: 5,
  }) as const;

async function failure(sending: Promise<unknown>): Promise<DeliveryFailed> {
  try {
    await sending;
  } catch (error) {
    assert.ok(error instanceof DeliveryFailed, String(error));
    return error;
  }
  return assert.fail("the send succeeded");
}

suite("SMS and voice over the signed webhook", () => {
  let receiver: Receiver;
  let server: TestServer;
  let tenant: Tenant;
  before(async () => {
    receiver = await startReceiver();
    server = await startTestServer("sqlite", {
      flags: {
        "outOfBand.smsTransport": "webhook",
        "outOfBand.voiceTransport": "webhook",
        "outOfBand.webhookUrl": receiver.url,
        "outOfBand.webhookSecret": secret,
        // The timeout test waits this long; the production default is 10 s.
        "outOfBand.webhookTimeoutMs": 800,
      },
    });
    ({ tenant } = await server.tenant("webhook-tenant"));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test("the receiver verifies the signature and gets exactly the documented body", async () => {
    const sent = await deliverMessage(server.server.ctx, message(tenant, "sms", "605040"));
    assert.equal(sent.transport, "webhook");
    const last = receiver.accepted.at(-1);
    assert.deepEqual(Object.keys(last ?? {}).sort(), [
      "locale",
      "messageId",
      "method",
      "purpose",
      "text",
      "to",
    ]);
    assert.deepEqual(
      { ...last, text: undefined },
      {
        method: "sms",
        to: "+4915123456789",
        purpose: "device-verification",
        locale: "de",
        messageId: sent.messageId,
        text: undefined,
      },
    );
    assert.equal(
      last?.text,
      "605040 ist Ihr Code, um dieses Telefon fuer webhook-tenant zu bestaetigen. Er gilt 5 Minuten.",
    );
    await deliverMessage(server.server.ctx, message(tenant, "voice", "605041"));
    assert.equal(receiver.accepted.at(-1)?.method, "voice");
    assert.match(receiver.accepted.at(-1)?.text ?? "", /lautet 605041\. Noch einmal: 605041\./);
  });

  test("a tampered body does not verify: the receiver refuses it and the send fails with the status", async () => {
    receiver.tamper = (body) => body.replace("+4915123456789", "+4915100000000");
    try {
      const before = receiver.refused;
      const error = await failure(deliverMessage(server.server.ctx, message(tenant, "sms", "777888")));
      assert.equal(receiver.refused, before + 1);
      assert.equal(error.message, "webhook answered HTTP 401");
    } finally {
      receiver.tamper = undefined;
    }
  });

  test("a non-2xx answer is DeliveryFailed with the status and never the receiver's body or the code", async () => {
    receiver.behaviour = "500";
    try {
      const error = await failure(deliverMessage(server.server.ctx, message(tenant, "voice", "313131")));
      assert.equal(error.method, "voice");
      assert.equal(error.message, "webhook answered HTTP 500");
    } finally {
      receiver.behaviour = "verify";
    }
  });

  test("a receiver that never answers: DeliveryFailed after outOfBand.webhookTimeoutMs", async () => {
    receiver.behaviour = "hang";
    try {
      const started = Date.now();
      const error = await failure(deliverMessage(server.server.ctx, message(tenant, "sms", "424242")));
      assert.match(error.message, /no answer within 800 ms/);
      assert.doesNotMatch(error.message, /424242/);
      assert.ok(Date.now() - started < 5000);
    } finally {
      receiver.behaviour = "verify";
    }
  });
});

test("a closed port is DeliveryFailed naming the connection error", async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const server = await startTestServer("sqlite", {
    flags: {
      "outOfBand.smsTransport": "webhook",
      "outOfBand.webhookUrl": `http://127.0.0.1:${port}/`,
      "outOfBand.webhookSecret": secret,
    },
  });
  try {
    const { tenant } = await server.tenant();
    const error = await failure(deliverMessage(server.server.ctx, message(tenant, "sms", "808080")));
    assert.match(error.message, /ECONNREFUSED/);
    assert.doesNotMatch(error.message, /808080/);
  } finally {
    await server.close();
  }
});

test("with no transport configured (the default), SMS and voice fail naming the setting", async () => {
  const server = await startTestServer("sqlite");
  try {
    const { tenant } = await server.tenant();
    for (const method of ["sms", "voice"] as const) {
      const error = await failure(deliverMessage(server.server.ctx, message(tenant, method, "121212")));
      assert.match(error.message, new RegExp(`outOfBand\\.${method}Transport is none`));
    }
  } finally {
    await server.close();
  }
});

suite("transport settings that cannot work are refused at start", () => {
  const problems = (env: Record<string, string>): string => {
    try {
      loadConfig({ env });
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    return assert.fail("the configuration loaded");
  };

  test("smpp without smpp.url or smpp.systemId", () => {
    const message = problems({ TESSERA_OUT_OF_BAND_SMS_TRANSPORT: "smpp" });
    assert.match(message, /outOfBand\.smsTransport is smpp, so smpp\.url \(TESSERA_SMPP_URL\) must name/);
    assert.match(message, /smpp\.systemId \(TESSERA_SMPP_SYSTEM_ID\) must be set/);
  });

  test("webhook without its URL or secret, for SMS and for voice", () => {
    const message = problems({
      TESSERA_OUT_OF_BAND_SMS_TRANSPORT: "webhook",
      TESSERA_OUT_OF_BAND_VOICE_TRANSPORT: "webhook",
    });
    assert.match(
      message,
      /outOfBand\.smsTransport and outOfBand\.voiceTransport are webhook, so outOfBand\.webhookUrl/,
    );
    assert.match(message, /outOfBand\.webhookSecret \(TESSERA_OUT_OF_BAND_WEBHOOK_SECRET\) must be set/);
  });

  test("a short webhook secret, a wrong SMPP scheme and an unknown transport are refused; secrets are not echoed", () => {
    const message = problems({
      TESSERA_OUT_OF_BAND_VOICE_TRANSPORT: "smpp",
      TESSERA_SMPP_URL: "http://gateway.example:2775",
      TESSERA_OUT_OF_BAND_WEBHOOK_SECRET: "short-secret",
    });
    assert.match(message, /outOfBand\.voiceTransport .* must be one of none, webhook/);
    assert.match(message, /smpp\.url .* must be a URL \(smpp: or ssmpp:\)/);
    assert.match(message, /outOfBand\.webhookSecret/);
    assert.doesNotMatch(message, /short-secret/);
  });

  test("a webhook over plain http is refused unless it goes to this host: the body holds the code and the number", () => {
    const webhook = (url: string) => ({
      TESSERA_OUT_OF_BAND_SMS_TRANSPORT: "webhook",
      TESSERA_OUT_OF_BAND_WEBHOOK_URL: url,
      TESSERA_OUT_OF_BAND_WEBHOOK_SECRET: secret,
    });
    for (const url of [
      "http://provider.example/messages",
      "http://10.0.0.7:8080/sms",
      "http://[fd00::1]/sms",
    ])
      assert.match(problems(webhook(url)), /outOfBand\.webhookUrl .*https/, url);
    for (const url of ["http://127.0.0.1:9000/sms", "http://[::1]:9000/sms", "http://localhost:9000/sms"])
      assert.equal(loadConfig({ env: webhook(url) }).outOfBand.webhookUrl, url);
  });

  test("a complete SMPP or webhook configuration loads", () => {
    const config = loadConfig({
      env: {
        TESSERA_OUT_OF_BAND_SMS_TRANSPORT: "smpp",
        TESSERA_SMPP_URL: "ssmpp://gateway.example",
        TESSERA_SMPP_SYSTEM_ID: "tessera",
        TESSERA_OUT_OF_BAND_VOICE_TRANSPORT: "webhook",
        TESSERA_OUT_OF_BAND_WEBHOOK_URL: "https://provider.example/messages",
        TESSERA_OUT_OF_BAND_WEBHOOK_SECRET: secret,
      },
    });
    assert.equal(config.outOfBand.smsTransport, "smpp");
    assert.equal(config.smpp.timeoutMs, 10000);
    assert.equal(config.outOfBand.webhookTimeoutMs, 10000);
  });
});
