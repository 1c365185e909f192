import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import fc from "fast-check";
import { MAX_DETAILS_BYTES } from "../src/approvals/approval-details.ts";
import { ownerOf, SoftwareDevice } from "./helpers/approval-device.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The body of POST /v1/approvals: every extreme is a 4xx naming its field (never a 5xx or a hang),
 * and whatever valid details a tenant sends come back byte for byte as the app signs them.
 * Fixed seed: the same inputs on every run.
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;
const base = { amount: "10.00", currency: "EUR", payee: "Shop" };
const nested = (depth: number): unknown => (depth === 0 ? "leaf" : { next: nested(depth - 1) });

/** [what, body, the field the refusal names, its code when not MalformedRequest]. */
const extremes: [string, Record<string, unknown>, string, number?][] = [
  ["amount as a JSON number", { details: { ...base, amount: 12.5 } }, "body.details.amount"],
  ["amount 2^53 as a number", { details: { ...base, amount: 2 ** 53 } }, "body.details.amount"],
  ["amount with an exponent", { details: { ...base, amount: "1e5" } }, "body.details.amount"],
  ["negative amount", { details: { ...base, amount: "-1.00" } }, "body.details.amount"],
  ["amount with a leading zero", { details: { ...base, amount: "01.00" } }, "body.details.amount"],
  ["amount ending in a point", { details: { ...base, amount: "1." } }, "body.details.amount"],
  ["amount of 19 digits", { details: { ...base, amount: "1".repeat(19) } }, "body.details.amount"],
  [
    "amount of 10 000 characters",
    { details: { ...base, amount: "9".repeat(10_000) } },
    "body.details.amount",
  ],
  ["cents on yen", { details: { ...base, amount: "1.50", currency: "JPY" } }, "body.details.amount"],
  ["three decimals of euro", { details: { ...base, amount: "1.005" } }, "body.details.amount"],
  ["lower-case currency", { details: { ...base, currency: "eur" } }, "body.details.currency"],
  ["four-letter currency", { details: { ...base, currency: "EURO" } }, "body.details.currency"],
  ["unknown currency", { details: { ...base, currency: "QQQ" } }, "body.details.currency"],
  ["empty payee", { details: { ...base, payee: "" } }, "body.details.payee"],
  ["blank payee", { details: { ...base, payee: "   " } }, "body.details.payee"],
  ["payee of 201 characters", { details: { ...base, payee: "p".repeat(201) } }, "body.details.payee"],
  [
    "payee with a right-to-left override",
    { details: { ...base, payee: "Shop\u202eevil" } },
    "body.details.payee",
  ],
  ["payee with a terminal escape", { details: { ...base, payee: "Shop\u001b[2J" } }, "body.details.payee"],
  ["payee with a zero-width space", { details: { ...base, payee: "Sh\u200bop" } }, "body.details.payee"],
  ["payee with a lone surrogate", { details: { ...base, payee: "Shop\ud800" } }, "body.details.payee"],
  ["a fraction among the extras", { details: { ...base, fee: 0.5 } }, "body.details.fee"],
  ["2^53 among the extras", { details: { ...base, count: 2 ** 53 } }, "body.details.count"],
  ["-2^53 among the extras", { details: { ...base, count: -(2 ** 53) } }, "body.details.count"],
  ["extras nested 5 deep", { details: { ...base, deep: nested(4) } }, "body.details.deep.next.next.next"],
  [
    "33 fields",
    { details: { ...base, ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i])) } },
    "body.details",
  ],
  ["a non-ASCII key", { details: { ...base, größe: "x" } }, "body.details"],
  ["a key starting with a digit", { details: { ...base, "1st": "x" } }, "body.details"],
  [
    "a nested control character",
    { details: { ...base, lines: ["ok", "bad\u0007"] } },
    "body.details.lines.1",
  ],
  [
    "details over the size cap",
    { details: { ...base, a: "x".repeat(2000), b: "y".repeat(2100) } },
    "body.details",
  ],
  ["details missing", {}, "body.details"],
  ["details an array", { details: [base] }, "body.details"],
  ["details null", { details: null }, "body.details"],
  ["amount missing", { details: { currency: "EUR", payee: "Shop" } }, "body.details.amount"],
  ["reference with a space", { details: base, reference: "A B" }, "body.reference"],
  ["reference of 65 characters", { details: base, reference: "R".repeat(65) }, "body.reference"],
  ["reference with a slash", { details: base, reference: "../x" }, "body.reference"],
  ["reference 2^31 as a number", { details: base, reference: 2 ** 31 }, "body.reference"],
  ["serial of 10 000 characters", { details: base, serial: "S".repeat(10_000) }, "body.serial"],
  ["an unknown field", { details: base, amount: "1.00" }, "body.amount"],
  [
    "username of 300 characters",
    { details: base, username: "u".repeat(300) },
    "body.username",
    ApiReturnCode.InvalidPartnerUserLogin,
  ],
  ["username 2^53", { details: base, username: 2 ** 53 }, "body.username"],
];

for (const backend of backends) {
  suite(`approval request input (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let device: SoftwareDevice;
    before(async () => {
      s = await startTestServer(backend);
      const { tenant, apiKey: key } = await s.tenant();
      apiKey = key;
      await s.api("POST", "/v1/users", { apiKey, body: { username: "pat" }, scenario: "approvals: setup" });
      device = await new SoftwareDevice().enrol(s.server.ctx, await ownerOf(s.server.ctx, tenant.id, "pat"));
    });
    after(() => s.close());

    const create = (body: unknown) =>
      s.api("POST", "/v1/approvals", { apiKey, body, scenario: "approvals: input" });
    /** Answers a created request at once, so the user's cap of waiting requests never fills. */
    const settle = async (reference: string, details: Record<string, unknown>) => {
      const r = await s.api("POST", `/v1/approvals/${reference}/status`, {
        apiKey,
        body: { status: "approved", approvalCode: device.approve(reference, details) },
        scenario: "approvals: input",
      });
      assert.equal(r.body.status, "approved", JSON.stringify(r.body));
    };

    test("every extreme is a 4xx naming its field", async () => {
      const oversized = extremes.find(([what]) => what === "details over the size cap")?.[1];
      assert.ok(Buffer.byteLength(JSON.stringify(oversized)) > MAX_DETAILS_BYTES);
      for (const [what, body, field, code] of extremes) {
        const r = await create({ username: "pat", ...body });
        // InvalidPartnerUserLogin is the catalog's 404; every other refusal here a 400.
        assert.equal(
          r.status,
          code === undefined ? 400 : 404,
          `${what}: ${JSON.stringify(r.body).slice(0, 300)}`,
        );
        assert.equal(r.body.errorCode, code ?? TesseraApiCode.MalformedRequest, what);
        const named = (r.body.errors as { field: string }[]).map((e) => e.field);
        assert.ok(named.includes(field), `${what}: ${JSON.stringify(r.body.errors).slice(0, 300)}`);
      }
    });

    test("currencies' minor units: yen whole, dinar to three places, euro zero", async () => {
      for (const details of [
        { amount: "1500", currency: "JPY", payee: "Shop" },
        { amount: "1.005", currency: "BHD", payee: "Shop" },
        { amount: "0", currency: "EUR", payee: "Card check" },
      ]) {
        const r = await create({ username: "pat", details });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        await settle(String(r.body.reference), details);
      }
    });

    const safeText = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 30 })
      .filter((t) => /\S/.test(t) && !/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(t));
    const key = fc
      .stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,10}$/)
      .filter((k) => !["amount", "currency", "payee"].includes(k));
    const leaf = fc.oneof(safeText, fc.boolean(), fc.constant(null), fc.maxSafeInteger());
    /** A value that may nest `levels` more objects or arrays (the details allow 4 levels in all). */
    const nestedValue = (levels: number): fc.Arbitrary<unknown> =>
      levels === 0
        ? leaf
        : fc.oneof(
            leaf,
            fc.array(nestedValue(levels - 1), { maxLength: 3 }),
            fc.dictionary(key, nestedValue(levels - 1), { maxKeys: 3 }),
          );
    const value = nestedValue(3);
    const money = fc
      .constantFrom(["EUR", 2], ["JPY", 0], ["BHD", 3], ["USD", 2], ["CHF", 2])
      .chain(([currency, digits]) =>
        fc
          .tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: Number(digits) }))
          .map(([units, places]) => {
            const text = units.toString().padStart(places + 1, "0");
            const amount = places === 0 ? text : `${text.slice(0, -places)}.${text.slice(-places)}`;
            return { amount, currency: String(currency) };
          }),
      );
    const validDetails = fc
      .tuple(money, safeText, fc.dictionary(key, value, { maxKeys: 5 }))
      .map(([m, payee, extra]) => ({ ...extra, ...m, payee }))
      .filter(
        (d) => Buffer.byteLength(JSON.stringify(d)) <= MAX_DETAILS_BYTES && JSON.stringify(d).length < 60_000,
      );

    test("valid details come back exactly, and the device's signature over what was sent is accepted", async () => {
      await fc.assert(
        fc.asyncProperty(validDetails, async (details) => {
          const r = await create({ username: "pat", details });
          assert.equal(r.status, 201, JSON.stringify(r.body));
          const read = await s.api("GET", `/v1/approvals/${String(r.body.reference)}`, {
            apiKey,
            scenario: "approvals: input",
          });
          // fast-check's dictionaries have no prototype; what was sent is their JSON.
          assert.deepEqual(read.body.details, JSON.parse(JSON.stringify(details)));
          await settle(String(r.body.reference), details);
        }),
        { seed, numRuns: 60, endOnFailure: true },
      );
    });

    test("whatever JSON arrives as the body, the answer is 201 or a 4xx naming a field of the body", async () => {
      const anyDetails = fc.oneof(
        fc.jsonValue({ maxDepth: 6 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 40 }),
        fc
          .tuple(validDetails, fc.string({ unit: "binary", maxLength: 12 }))
          .map(([d, amount]) => ({ ...d, amount })),
      );
      const bodies = fc.record(
        {
          username: fc.oneof(fc.constant("pat"), fc.jsonValue()),
          details: anyDetails,
          reference: fc.jsonValue(),
          serial: fc.jsonValue(),
        },
        { requiredKeys: ["username", "details"] },
      );
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          const r = await create(body);
          assert.ok(
            r.status === 201 || (r.status >= 400 && r.status < 500),
            `${r.status} ${JSON.stringify(r.body)}`,
          );
          if (r.status !== 201) assert.match(String(r.body.field), /^body(\.|$)/, JSON.stringify(r.body));
          if (r.status === 201)
            await settle(String(r.body.reference), r.body.details as Record<string, unknown>);
        }),
        { seed, numRuns: 200, endOnFailure: true },
      );
    });
  });
}
