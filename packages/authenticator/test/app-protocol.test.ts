import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { approvalPayload as serverApprovalPayload } from "../../server/src/approvals/approval-payload.ts";
import { appSigningString as serverSigningString } from "../../server/src/push/app-request-signature.ts";
import { approvalPayload } from "../src/protocol/approval-payload.ts";
import { MAX_LINE_LENGTH, serverEvents } from "../src/protocol/event-stream.ts";
import { appSigningString } from "../src/protocol/signing-string.ts";

test("the signing string equals the server's appSigningString for a fixed input (pinned)", () => {
  const body = Buffer.from('{"decision":"approved","number":42}', "utf8");
  const ours = appSigningString("post", "/app/v1/requests/R1/answer?x=1", "1767603600000", body);
  assert.deepEqual(
    ours,
    serverSigningString("post", "/app/v1/requests/R1/answer?x=1", "1767603600000", body),
  );
  // Pinned bytes: a change on either side that still agrees with the other fails here.
  const digest = createHash("sha256").update(body).digest("base64url");
  assert.equal(
    ours.toString("utf8"),
    `tessera-app/1\nPOST\n/app/v1/requests/R1/answer?x=1\n1767603600000\n${digest}`,
  );
  assert.equal(
    appSigningString("GET", "/app/v1/events", "1", Buffer.alloc(0)).toString("utf8"),
    "tessera-app/1\nGET\n/app/v1/events\n1\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
  );
});

test("the approval payload equals the server's for sign-ins and transactions, nested and non-ASCII details", () => {
  const answers = [
    { reference: "R1", kind: "sign-in", decision: "approved", number: 42, details: null },
    { reference: "R2", kind: "sign-in", decision: "rejected", number: null, details: null },
    {
      reference: "R3",
      kind: "transaction",
      decision: "approved",
      number: null,
      details: { payee: "Zoë & Co", amount: "12.50", currency: "EUR", z: { b: [2, 1], a: null }, Z: 1.5 },
    },
  ] as const;
  for (const answer of answers) assert.deepEqual(approvalPayload(answer), serverApprovalPayload(answer));
  assert.equal(
    approvalPayload(answers[2]).toString("utf8"),
    'tessera-approval/1\n{"decision":"approved","details":{"Z":1.5,"amount":"12.50","currency":"EUR","payee":"Zoë & Co","z":{"a":null,"b":[2,1]}},"kind":"transaction","number":null,"reference":"R3"}',
  );
});

test("server-sent events split anywhere across chunks, with CRLF, comments and multi-line data", async () => {
  const text =
    ': hello\r\n\r\nevent: request\r\ndata: {"a":\r\ndata: 1}\r\n\r\n: heartbeat\n\nevent: request\ndata: x\n\n';
  const bytes = Buffer.from(text, "utf8");
  const chunks = Array.from(bytes, (byte) => Uint8Array.of(byte));
  const events = [];
  for await (const event of serverEvents(ReadableStream.from(chunks))) events.push(event);
  assert.deepEqual(events, [
    { event: "request", data: '{"a":\n1}' },
    { event: "request", data: "x" },
  ]);
});

test("a server that never ends a line cannot fill the memory: the stream ends with an error", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const endless = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(chunk),
  });
  await assert.rejects(
    async () => {
      for await (const _ of serverEvents(endless)) assert.fail("no event");
    },
    new RegExp(`longer than ${MAX_LINE_LENGTH}`),
  );
});
