import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { verifyAudit } from "../src/audit/verify-audit.ts";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { reportRefusedRequests } from "../src/rate-limits/refused-requests.ts";
import { type ApiResponse, apiRequest } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** Rate limits held in the database: /v1/auth/* per source and per tenant, refused floods. */

const evaluated = (answers: readonly ApiResponse[]) =>
  answers.filter((r) => r.body.errorCode !== TesseraApiCode.RateLimited).length;

/** How many events the audit trail holds. */
async function auditEventCount(db: TestServer["server"]["ctx"]["database"]["db"]): Promise<number> {
  const row = await db
    .selectFrom("audit_events")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function assertRateLimited(answers: readonly ApiResponse[]): void {
  for (const r of answers.filter((a) => a.body.errorCode === TesseraApiCode.RateLimited)) {
    assert.equal(r.status, 429);
    const retryAfter = Number(r.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  }
}

for (const backend of backends) {
  suite(`/v1/auth rate limits (${backend})`, () => {
    let s: TestServer;
    let proxied: TestServer;
    before(async () => {
      // Tightened (not loosened) so that a burst crosses the limits quickly.
      s = await startTestServer(backend, {
        flags: { "rateLimits.authPerSource": 5, "rateLimits.authPerTenant": 8 },
      });
      // Trusts the loopback proxy hop (not the default) to vary the source address per request.
      proxied = await startTestServer(backend, {
        flags: {
          "rateLimits.authPerSource": 3,
          "rateLimits.authPerTenant": 10,
          trustedProxies: "127.0.0.1/32",
        },
      });
    });
    after(async () => {
      await s.close();
      await proxied.close();
    });

    const guess = (server: TestServer, apiKey: string, i: number, scenario: string, source?: string) =>
      server.api("POST", i % 2 === 0 ? "/v1/auth/password" : "/v1/auth/otp", {
        apiKey,
        body:
          i % 2 === 0
            ? { username: `user${i}`, password: "spray-password" }
            : { username: `user${i}`, otp: "123456" },
        scenario,
        ...(source === undefined ? {} : { source }),
      });

    test("a concurrent burst from one source: at most the per-source limit is evaluated, the rest is RateLimited with Retry-After", async () => {
      const { apiKey } = await s.tenant();
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => guess(s, apiKey, i, "rate limit: auth burst")),
      );
      assert.equal(evaluated(answers), 5);
      assertRateLimited(answers);
      const other = await s.tenant();
      const elsewhere = await guess(s, other.apiKey, 0, "rate limit: other tenant, same source");
      assert.notEqual(
        elsewhere.body.errorCode,
        TesseraApiCode.RateLimited,
        "tenants do not share allowances",
      );
      const users = await s.api("GET", "/v1/tenant", { apiKey, scenario: "rate limit: other routes" });
      assert.equal(users.status, 200, "only /v1/auth/* is limited");
      s.clock.advance(60_000);
      const later = await guess(s, apiKey, 0, "rate limit: next window");
      assert.equal(later.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
    });

    test("the per-tenant limit holds across many source addresses", async () => {
      const { apiKey } = await proxied.tenant();
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          guess(proxied, apiKey, i, "rate limit: spray across sources", `198.51.100.${i + 1}`),
        ),
      );
      assert.equal(evaluated(answers), 10);
      assertRateLimited(answers);
      proxied.clock.advance(60_000);
      const oneSource = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          guess(proxied, apiKey, i, "rate limit: one proxied source", "203.0.113.50"),
        ),
      );
      assert.equal(evaluated(oneSource), 3, "behind the proxy, each client address has its own allowance");
    });

    test("every address of an IPv6 /64 shares one allowance: rotating within the prefix does not help", async () => {
      const { apiKey } = await proxied.tenant();
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          guess(proxied, apiKey, i, "rate limit: one IPv6 /64", `2001:db8:1:2::${(i + 1).toString(16)}`),
        ),
      );
      assert.equal(evaluated(answers), 3);
      const neighbour = await guess(proxied, apiKey, 0, "rate limit: next /64", "2001:db8:1:3::1");
      assert.notEqual(neighbour.body.errorCode, TesseraApiCode.RateLimited, "another /64 has its own");
    });
  });

  suite(`refused unauthenticated requests and the audit trail (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("a burst of 200 bad-key requests appends one audit event now and one aggregate later; the chain verifies", async () => {
      const { db } = s.server.ctx.database;
      const count = () => auditEventCount(db);
      const before = await count();
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          s.api("GET", "/v1/tenant", { apiKey: `tsk_bad_${i}`, scenario: "refused flood: bad keys" }),
        ),
      );
      for (const r of answers)
        assert.ok(
          [ApiReturnCode.PartnerLoginFailed, ApiReturnCode.MaximumLoginPartnerAttempsExceeded].includes(
            r.body.errorCode as never,
          ),
          r.body.errorName,
        );
      // Even when a burst outran the lockout (every request read it before any failure was
      // counted), the failures were counted: now the source is locked out for bad keys.
      const locked = await s.api("GET", "/v1/tenant", {
        apiKey: "tsk_bad_after",
        scenario: "refused flood: locked source",
      });
      assert.equal(locked.body.errorCode, ApiReturnCode.MaximumLoginPartnerAttempsExceeded);
      assert.equal(await count(), before + 1, "only the first refusal of the window is written at once");
      await reportRefusedRequests(db, s.server.ctx.audit, s.clock.now());
      assert.equal(await count(), before + 1, "an unfinished window is not reported yet");
      s.clock.advance(60_000);
      // Two processes sweeping at once report the window once.
      await Promise.all([
        reportRefusedRequests(db, s.server.ctx.audit, s.clock.now()),
        reportRefusedRequests(db, s.server.ctx.audit, s.clock.now()),
      ]);
      assert.equal(await count(), before + 2);
      const aggregate = await db
        .selectFrom("audit_events")
        .selectAll()
        .orderBy("seq", "desc")
        .limit(1)
        .executeTakeFirstOrThrow();
      assert.equal(aggregate.subject, "requests:200");
      assert.equal(aggregate.source_ip, "127.0.0.1");
      assert.equal(aggregate.result_code, ApiReturnCode.MaximumLoginPartnerAttempsExceeded);
      const verification = await verifyAudit(db, s.server.ctx.signer);
      assert.deepEqual(verification.problems, []);
      assert.ok(verification.ok);
    });

    test("a flood of anonymous page requests (bad recovery and provisioning links) writes one event per window", async () => {
      const { db } = s.server.ctx.database;
      const count = () => auditEventCount(db);
      // A fresh window, so that this source's first refusal of it is the one written.
      s.clock.advance(120_000);
      const before = await count();
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          fetch(
            i % 2 === 0
              ? `${s.url}/password-recovery?rid=${"r".repeat(20)}${i}&mid=${"m".repeat(20)}${i}`
              : `${s.url}/provision/${"p".repeat(30)}${i}`,
          ),
        ),
      );
      for (const answer of answers) {
        assert.ok(answer.status >= 400 && answer.status < 500, `status ${answer.status}`);
        await answer.text();
      }
      assert.equal(await count(), before + 1, "only the first anonymous request of the window is written");
      s.clock.advance(60_000);
      await reportRefusedRequests(db, s.server.ctx.audit, s.clock.now());
      assert.equal(await count(), before + 2, "the rest of the window is one aggregated event");
    });
  });
}

suite("/v1/auth rate limit across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  before(async () => {
    pair = await startProcessPair("limited", "rate limit processes: setup", {
      TESSERA_RATE_LIMIT_AUTH_PER_SOURCE: "7",
    });
  });
  after(() => pair.close());

  test("a burst spread over both processes evaluates at most the limit", async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        apiRequest(`${(i % 2 === 0 ? pair.a : pair.b).url}/v1/auth/password`, {
          method: "POST",
          scenario: "rate limit processes: burst",
          headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ username: `nobody${i}`, password: "spray-password" }),
        }),
      ),
    );
    assert.equal(evaluated(answers), 7);
    assertRateLimited(answers);
  });
});

test("rate-limit settings refuse zero, negative, fractional and huge values naming the setting", () => {
  for (const [env, setting] of [
    ["TESSERA_RATE_LIMIT_AUTH_PER_SOURCE", "rateLimits.authPerSource"],
    ["TESSERA_RATE_LIMIT_AUTH_PER_TENANT", "rateLimits.authPerTenant"],
    ["TESSERA_RATE_LIMIT_SSO_SIGN_IN_PER_SOURCE", "rateLimits.ssoSignInPerSource"],
    ["TESSERA_RATE_LIMIT_SSO_SIGN_IN_PER_ACCOUNT", "rateLimits.ssoSignInPerAccount"],
    ["TESSERA_RATE_LIMIT_SSO_CLIENT_INFO_PER_SOURCE", "rateLimits.ssoClientInfoPerSource"],
    ["TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_USER", "rateLimits.outOfBandPerUser"],
    ["TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_DESTINATION", "rateLimits.outOfBandPerDestination"],
    ["TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_DESTINATION_PER_DAY", "rateLimits.outOfBandPerDestinationPerDay"],
    ["TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_SOURCE", "rateLimits.outOfBandPerSource"],
    ["TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_COUNTRY", "rateLimits.outOfBandPerCountry"],
  ] as const) {
    for (const bad of ["0", "-1", "2.5", "9007199254740993", "1e3", "many"]) {
      assert.throws(
        () => loadConfig({ env: { [env]: bad } }),
        (error) => error instanceof ConfigError && error.message.includes(setting),
        `${env}=${bad}`,
      );
    }
  }
  const defaults = loadConfig({ env: {} }).rateLimits;
  // One back end carries a tenant's whole login traffic: 20 calls a second, 100 per tenant. The
  // SSO pages are used by people's browsers directly: 60 password posts a minute per address,
  // 20 per username.
  assert.deepEqual(defaults, {
    authPerSource: 1200,
    authPerTenant: 6000,
    ssoSignInPerSource: 60,
    ssoSignInPerAccount: 20,
    ssoClientInfoPerSource: 120,
    // Codes by SMS, voice or e-mail (docs/authenticators.md, Anti-pumping limits).
    outOfBandPerUser: 5,
    outOfBandPerDestination: 5,
    outOfBandPerDestinationPerDay: 10,
    outOfBandPerSource: 300,
    outOfBandPerCountry: 200,
  });
});
