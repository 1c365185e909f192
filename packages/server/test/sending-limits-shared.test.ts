import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import fc from "fast-check";
import { getCountries } from "libphonenumber-js/max";
import { requireAllowedCountry } from "../src/out-of-band/pumping/challenge-countries.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import {
  call,
  type LimitsTenant,
  newUser,
  passedOrLimited,
  sendCode,
  storedDevice,
} from "./helpers/sending-limits.ts";
import { type SmtpSink, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** Tightened for these tests (the defaults are 300 and 200): reached by a burst of a few users. */
const PER_SOURCE = 4;
const PER_COUNTRY = 3;

/**
 * The limits every user of a tenant shares: per source address and per destination country
 * calling code, and the tenant's country allow-list as input. No SMS or e-mail transport is
 * configured on this server, so a send that got past the limits is the transport's
 * SMSSendError / EmailSendError, and one that did not is 429.
 */
for (const backend of backends) {
  suite(`sending limits shared by a tenant's users (${backend})`, () => {
    let s: TestServer;
    let t: LimitsTenant;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend, {
        flags: {
          "rateLimits.outOfBandPerSource": PER_SOURCE,
          "rateLimits.outOfBandPerCountry": PER_COUNTRY,
          // Loosened from the default (no trusted proxy) so that requests can come from several
          // source addresses: the test client is the proxy that names them in X-Forwarded-For.
          trustedProxies: "127.0.0.1/32",
        },
      });
      const created = await s.tenant(undefined, { challengeCountries: ["US", "CA", "GB"] });
      t = { s, apiKey: created.apiKey, tenantId: created.tenant.id };
    });
    after(() => s.close());
    const usersWith = async (count: number, type: "sms" | "email", destination: (i: number) => string) => {
      const made: { username: string; serial: string }[] = [];
      for (let i = 0; i < count; i += 1) {
        n += 1;
        const username = `shared${n}`;
        const serial = `LIM${n}`;
        await storedDevice(t, await newUser(t, username), serial, type, destination(n));
        made.push({ username, serial });
      }
      return made;
    };

    test("a burst of 8 users' codes from one source address: exactly the per-source limit goes ahead", async () => {
      const users = await usersWith(8, "email", (i) => `source${i}@mail.example`);
      const results = await Promise.all(
        users.map((u) => sendCode(t, u.username, u.serial, "sending limits: source burst", "198.51.100.7")),
      );
      assert.equal(passedOrLimited(results, ApiReturnCode.EmailSendError), PER_SOURCE);
      for (const r of results.filter((r) => r.status === 429)) {
        assert.match(r.body.errorMessage, /source address/);
        assert.equal(r.headers.get("retry-after"), "3600");
      }
      // Another source has its own allowance; an IPv6 /64 is one source.
      const other = await sendCode(
        t,
        users[0]?.username ?? "",
        users[0]?.serial ?? "",
        "sending limits: source",
        "198.51.100.8",
      );
      assert.equal(other.body.errorCode, ApiReturnCode.EmailSendError);
      const v6 = await Promise.all(
        users
          .slice(0, 6)
          .map((u, i) =>
            sendCode(t, u.username, u.serial, "sending limits: source /64", `2001:db8:1:2::${i + 1}`),
          ),
      );
      assert.equal(passedOrLimited(v6, ApiReturnCode.EmailSendError), PER_SOURCE);
    });

    test("a burst of codes to 8 numbers of +1 (US and Canada): exactly the per-country limit; +44 is counted apart", async () => {
      const users = await usersWith(8, "sms", (i) =>
        i % 2 === 0 ? `+1415555${String(2600 + i)}` : `+1613555${String(100 + i).padStart(4, "0")}`,
      );
      const results = await Promise.all(
        users.map((u, i) =>
          sendCode(t, u.username, u.serial, "sending limits: country burst", `203.0.113.${i + 1}`),
        ),
      );
      assert.equal(passedOrLimited(results, ApiReturnCode.SMSSendError), PER_COUNTRY);
      for (const r of results.filter((r) => r.status === 429)) {
        assert.match(r.body.errorMessage, /country calling code \+1\b/);
        assert.equal(r.headers.get("retry-after"), "3600");
      }
      const [uk] = await usersWith(1, "sms", () => "+447400123456");
      assert.ok(uk !== undefined);
      const ukSend = await sendCode(t, uk.username, uk.serial, "sending limits: country", "203.0.113.99");
      assert.equal(ukSend.body.errorCode, ApiReturnCode.SMSSendError);
    });

    test("challengeCountries takes a list of distinct ISO 3166-1 alpha-2 codes; anything else is 400 naming the field", async () => {
      const known = getCountries();
      const valid = fc.uniqueArray(fc.constantFrom(...known), { maxLength: 12 });
      const junk = fc.oneof(
        // Not undefined: JSON drops it, and a body without the field changes nothing (200). Not
        // objects with __proto__ or constructor keys: the JSON parser refuses such a body as a
        // whole (prototype poisoning), so the 400 names `body` rather than this field.
        fc
          .anything()
          .filter((v) => v !== undefined && !/"(__proto__|constructor)"/.test(JSON.stringify(v) ?? "")),
        fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.constantFrom("XX", "ZZ", "gb", "G", "GBR", "", "U S", "AQ", "EU", "UK"), {
          minLength: 1,
        }),
        fc.constantFrom(-1, 2 ** 31, 2 ** 53, 0.5, "GB", null, "x".repeat(60_000), [["GB"]], [2 ** 53]),
        fc.array(fc.constantFrom(...known), { minLength: 301, maxLength: 310 }),
        fc.constantFrom(...known).map((c) => [c, c]),
      );
      const isValid = (value: unknown) =>
        Array.isArray(value) &&
        value.length <= 300 &&
        new Set(value).size === value.length &&
        value.every((c) => typeof c === "string" && (known as string[]).includes(c));
      await fc.assert(
        fc.asyncProperty(fc.oneof(valid, junk), async (value) => {
          const r = await call(
            t,
            "PATCH",
            "/v1/tenant",
            { challengeCountries: value },
            "sending limits: countries input",
          );
          if (isValid(value)) {
            assert.equal(r.status, 200, JSON.stringify(r.body));
            assert.deepEqual((r.body.tenant as { challengeCountries: unknown }).challengeCountries, value);
          } else {
            assert.equal(r.status, 400, `${JSON.stringify(value).slice(0, 200)} → ${JSON.stringify(r.body)}`);
            assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
            assert.match(String(r.body.field), /^body\.challengeCountries/, JSON.stringify(r.body));
          }
        }),
        { numRuns: 60 },
      );
      const unknown = await call(
        t,
        "PATCH",
        "/v1/tenant",
        { challengeCountries: ["GB", "XX"] },
        "sending limits: countries input",
      );
      assert.equal(unknown.body.field, "body.challengeCountries.1");
      assert.match(unknown.body.errorMessage, /ISO 3166-1 alpha-2/);
    });
  });
}

suite("requireAllowedCountry (for binding a phone device)", () => {
  const tenant = (challengeCountries: string[]) =>
    ({ challengeCountries }) as unknown as Parameters<typeof requireAllowedCountry>[0];
  const refusal = (list: string[], e164: string) => {
    try {
      requireAllowedCountry(tenant(list), e164, "body.destination");
      return undefined;
    } catch (error) {
      assert.ok(TesseraError.is(error));
      assert.equal(error.code, ApiReturnCode.InvalidDeviceConfig);
      assert.equal(error.field, "body.destination");
      return error.message;
    }
  };
  test("refuses every number while the list is empty, and numbers of other or no countries after", () => {
    assert.match(refusal([], "+14155552671") ?? "", /challengeCountries/);
    assert.equal(refusal(["US"], "+14155552671"), undefined);
    assert.match(refusal(["US"], "+16135550123") ?? "", /CA/);
    // +44 7911 is Guernsey, not the United Kingdom: the country, not the calling code, is checked.
    assert.match(refusal(["GB"], "+447911123456") ?? "", /GG/);
    assert.match(refusal(["US", "GB"], "+80012345678") ?? "", /no country/);
  });
});

/** Two real server processes on one PostgreSQL database count into the same limits. */
suite("sending limits across two server processes on PostgreSQL", () => {
  let pair: ProcessPair;
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
    pair = await startProcessPair("pumping", "sending limits: two processes", {
      TESSERA_SMTP_HOST: "127.0.0.1",
      TESSERA_SMTP_PORT: String(sink.port),
    });
  });
  after(async () => {
    await pair.close();
    await sink.close();
  });

  test("a burst binding one address for 10 users, split over both processes: exactly the per-destination limit (5) is sent", async () => {
    const request = (server: "a" | "b", method: string, path: string, body: unknown) =>
      apiRequest(`${pair[server].url}${path}`, {
        method,
        scenario: "sending limits: two processes",
        headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const users = Array.from({ length: 10 }, (_, i) => `twin${i}`);
    for (const username of users)
      assert.equal(
        (await request("a", "POST", "/v1/users", { username, password: "correct horse battery" })).status,
        201,
      );
    const address = "shared-victim@mail.example";
    const results = await Promise.all(
      users.map((username, i) =>
        request(i % 2 === 0 ? "a" : "b", "POST", "/v1/authenticators", {
          type: "email",
          username,
          destination: address,
        }),
      ),
    );
    assert.equal(passedOrLimited(results, ApiReturnCode.Success), 5);
    assert.equal(sink.to(address).length, 5);
  });
});
