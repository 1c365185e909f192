import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { sql } from "kysely";
import { verifiedEmailDevice } from "./helpers/challenge-devices.ts";
import {
  call,
  type LimitsTenant,
  newUser,
  passedOrLimited,
  sendCode,
  storedDevice,
} from "./helpers/sending-limits.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const QUARTER_HOUR_MS = 15 * 60_000;
/** The defaults (config/settings.ts): per destination per 15 minutes and per day, per user. */
const PER_DESTINATION = 5;
const PER_DESTINATION_PER_DAY = 10;
const PER_USER = 5;

/**
 * Anti-pumping limits end to end, through the challenge routes (binding a device sends its
 * verification code; POST /v1/auth/challenge sends a sign-in code), with the production defaults
 * and a real SMTP peer: a send that got past the limits is one the peer received.
 */
for (const backend of backends) {
  suite(`sending limits with the defaults (${backend})`, () => {
    let s: TestServer;
    let sink: SmtpSink;
    let t: LimitsTenant;
    let n = 0;
    before(async () => {
      sink = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(sink) });
      const created = await s.tenant();
      t = { s, apiKey: created.apiKey, tenantId: created.tenant.id };
    });
    after(async () => {
      await s.close();
      await sink.close();
    });
    const nextName = (prefix: string) => {
      n += 1;
      return `${prefix}${n}`;
    };
    const bindEmail = (username: string, address: string, scenario: string) =>
      call(t, "POST", "/v1/authenticators", { type: "email", username, destination: address }, scenario);
    const emailDevice = (username: string, address: string) =>
      verifiedEmailDevice((m, p, b, sc) => call(t, m, p, b, sc), sink, username, address);

    test("a burst binding one address for 8 users: exactly the per-destination limit is sent, the rest 429 with Retry-After", async () => {
      const address = `${nextName("victim")}@mail.example`;
      const users = [];
      for (let i = 0; i < 8; i += 1) users.push(nextName("d"));
      for (const username of users) await newUser(t, username);
      const results = await Promise.all(
        users.map((username) => bindEmail(username, address, "sending limits: destination burst")),
      );
      assert.equal(passedOrLimited(results, ApiReturnCode.Success), PER_DESTINATION);
      assert.equal(sink.to(address).length, PER_DESTINATION);
      for (const r of results.filter((r) => r.status === 429)) {
        assert.equal(r.body.errorCode, TesseraApiCode.RateLimited);
        assert.match(r.body.errorMessage, /to this destination/);
        // The ManualClock stands still: the whole 15-minute window is left.
        assert.equal(r.headers.get("retry-after"), String(QUARTER_HOUR_MS / 1000));
      }
    });

    test("spellings of one mailbox (letter case, +tags) share its per-destination limit", async () => {
      const mailbox = nextName("victim");
      // Every one of these is delivered to the same mailbox by the usual mail servers.
      const spellings = [
        `${mailbox}@mail.example`,
        `${mailbox.toUpperCase()}@mail.example`,
        `${mailbox}+a@mail.example`,
        `${mailbox}+b@MAIL.example`,
        `${mailbox[0]?.toUpperCase()}${mailbox.slice(1)}@mail.example`,
        `${mailbox}+c@mail.example`,
        `${mailbox}+@mail.example`,
        `${mailbox.toUpperCase()}+d@mail.example`,
      ];
      const users = [];
      for (let i = 0; i < spellings.length; i += 1) users.push(nextName("v"));
      for (const username of users) await newUser(t, username);
      const before = sink.messages.length;
      const results = await Promise.all(
        users.map((username, i) =>
          bindEmail(username, spellings[i] as string, "sending limits: destination spellings"),
        ),
      );
      assert.equal(passedOrLimited(results, ApiReturnCode.Success), PER_DESTINATION);
      assert.equal(sink.messages.length - before, PER_DESTINATION);
      assert.ok(results.some((r) => /to this destination/.test(r.body.errorMessage)));
    });

    test("a burst of 12 sign-in codes over three devices of one user: exactly the per-user limit sent", async () => {
      const username = nextName("u");
      await newUser(t, username);
      const serials: string[] = [];
      for (let i = 0; i < 3; i += 1)
        serials.push(await emailDevice(username, `${username}.${i}@mail.example`));
      // The verification codes counted too: a fresh window, so the burst meets the whole limit.
      s.clock.advance(QUARTER_HOUR_MS);
      const before = sink.messages.length;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          sendCode(t, username, serials[i % 3] as string, "sending limits: user burst"),
        ),
      );
      const passed = passedOrLimited(results, ApiReturnCode.Success);
      // Each device's destination could take 5 (15 in all): the user's 5 is what binds, and as no
      // later counter refuses, every send the user's counter let through went out.
      assert.equal(passed, PER_USER);
      assert.equal(sink.messages.length - before, passed);
      assert.ok(results.some((r) => /to this user/.test(r.body.errorMessage)));
    });

    test("a refused send takes nothing from the other counters: the user's allowance is intact after destination refusals", async () => {
      // Two users share one address (a household number): one uses up the destination's allowance.
      const sharer = nextName("share");
      const username = nextName("r");
      const shared = `${sharer}@mail.example`;
      await newUser(t, sharer);
      await newUser(t, username);
      const sharerSerial = await emailDevice(sharer, shared);
      const first = await emailDevice(username, shared);
      const second = await emailDevice(username, `${username}.b@mail.example`);
      s.clock.advance(QUARTER_HOUR_MS);
      for (let i = 0; i < PER_DESTINATION; i += 1)
        assert.equal((await sendCode(t, sharer, sharerSerial, "sending limits: refund")).status, 200);
      for (let i = 0; i < 4; i += 1) {
        const r = await sendCode(t, username, first, "sending limits: refund");
        assert.equal(r.status, 429);
        assert.match(r.body.errorMessage, /to this destination/);
      }
      // The four refused sends were counted and given back: the user still has the whole limit.
      for (let i = 0; i < PER_USER; i += 1)
        assert.equal((await sendCode(t, username, second, "sending limits: refund")).status, 200);
      const over = await sendCode(t, username, second, "sending limits: refund");
      assert.equal(over.status, 429);
      assert.match(over.body.errorMessage, /to this user/);
    });

    test("Retry-After counts down with the clock, and the window's end lets a send through again", async () => {
      const username = nextName("w");
      await newUser(t, username);
      const serial = await emailDevice(username, `${username}@mail.example`);
      for (let i = 1; i < PER_DESTINATION; i += 1)
        assert.equal((await sendCode(t, username, serial, "sending limits: retry-after")).status, 200);
      s.clock.advance(100_000);
      const refused = await sendCode(t, username, serial, "sending limits: retry-after");
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), String(QUARTER_HOUR_MS / 1000 - 100));
      s.clock.advance(QUARTER_HOUR_MS - 100_000 - 1000);
      const late = await sendCode(t, username, serial, "sending limits: retry-after");
      assert.equal(late.headers.get("retry-after"), "1");
      s.clock.advance(1000);
      assert.equal((await sendCode(t, username, serial, "sending limits: retry-after")).status, 200);
    });

    test("a destination gets at most 10 codes a day, even spread under the 15-minute limit: a burst meets the rest of the day's allowance", async () => {
      const username = nextName("day");
      await newUser(t, username);
      const serial = await emailDevice(username, `${username}@mail.example`);
      const dayStarted = s.clock.now();
      s.clock.advance(QUARTER_HOUR_MS);
      for (let i = 0; i < PER_DESTINATION; i += 1)
        assert.equal((await sendCode(t, username, serial, "sending limits: day")).status, 200);
      // 1 + 5 sent today: a fresh 15-minute window would allow 5 more, the day only 4.
      s.clock.advance(QUARTER_HOUR_MS);
      const burst = await Promise.all(
        Array.from({ length: 8 }, () => sendCode(t, username, serial, "sending limits: day burst")),
      );
      assert.equal(
        passedOrLimited(burst, ApiReturnCode.Success),
        PER_DESTINATION_PER_DAY - 1 - PER_DESTINATION,
      );
      s.clock.advance(QUARTER_HOUR_MS);
      const refused = await sendCode(t, username, serial, "sending limits: day");
      assert.equal(refused.status, 429);
      assert.match(refused.body.errorMessage, /to this destination today/);
      const left = Math.ceil((dayStarted + 86_400_000 - s.clock.now()) / 1000);
      assert.equal(refused.headers.get("retry-after"), String(left));
    });

    test("a refusal is audited naming the limit and counted in /metrics; no destination is stored in the clear", async () => {
      const sharer = nextName("audit");
      const username = nextName("audit");
      const address = `${username}-secret@mail.example`;
      await newUser(t, sharer);
      await newUser(t, username);
      const sharerSerial = await emailDevice(sharer, address);
      const serial = await emailDevice(username, address);
      for (let i = 2; i < PER_DESTINATION; i += 1)
        assert.equal((await sendCode(t, sharer, sharerSerial, "sending limits: audit")).status, 200);
      const metric = async () => {
        const text = await (await fetch(`${s.url}/metrics`)).text();
        const line = /tessera_out_of_band_sends_refused_total\{limit="destination"\} (\d+)/.exec(text);
        assert.ok(line !== null, text);
        return Number(line[1]);
      };
      const counted = await metric();
      assert.equal((await sendCode(t, username, serial, "sending limits: audit")).status, 429);
      assert.equal(await metric(), counted + 1);
      const { db } = s.server.ctx.database;
      const events = await db
        .selectFrom("audit_events")
        .selectAll()
        .where("operation", "=", "out-of-band send refused: destination limit")
        .where("tenant_id", "=", t.tenantId)
        .execute();
      assert.ok(events.length >= 1);
      assert.equal(Number(events.at(-1)?.result_code), TesseraApiCode.RateLimited);
      const dump = JSON.stringify([
        await sql`select * from rate_limits`.execute(db),
        await sql`select * from audit_events`.execute(db),
      ]);
      assert.doesNotMatch(dump, new RegExp(`${username}-secret`));
    });

    test("phone destinations: none allowed by default (the message names challengeCountries), then only the listed countries", async () => {
      const tenant = await s.tenant();
      const fresh: LimitsTenant = { s, apiKey: tenant.apiKey, tenantId: tenant.tenant.id };
      const username = nextName("phone");
      const userId = await newUser(fresh, username);
      await storedDevice(fresh, userId, "SMSUS1", "sms", "+14155552671");
      await storedDevice(fresh, userId, "SMSGB1", "sms", "+447400123456");
      await storedDevice(fresh, userId, "VOICE800", "voice", "+80012345678");
      const bySms = await sendCode(fresh, username, "SMSUS1", "sending limits: countries");
      assert.equal(bySms.status, 400, JSON.stringify(bySms.body));
      assert.equal(bySms.body.errorCode, ApiReturnCode.SendOTPInvalidDeliveryMethod);
      assert.match(bySms.body.errorMessage, /challengeCountries/);
      // Binding a phone device is refused too, and nothing is left behind.
      const bound = await call(
        fresh,
        "POST",
        "/v1/authenticators",
        { type: "sms", username, destination: "+14155552672" },
        "sending limits: countries",
      );
      assert.equal(bound.status, 400, JSON.stringify(bound.body));
      assert.match(bound.body.errorMessage, /challengeCountries/);
      const listed = await call(
        fresh,
        "GET",
        `/v1/users/${username}/authenticators`,
        undefined,
        "sending limits: countries",
      );
      assert.equal((listed.body.authenticators as unknown[]).length, 3);

      const allowed = await call(
        fresh,
        "PATCH",
        "/v1/tenant",
        { challengeCountries: ["US"] },
        "sending limits: countries",
      );
      assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
      assert.deepEqual((allowed.body.tenant as { challengeCountries: string[] }).challengeCountries, ["US"]);
      // Past the limits: no SMS transport is configured here, so the send fails at the transport.
      const us = await sendCode(fresh, username, "SMSUS1", "sending limits: countries");
      assert.equal(us.body.errorCode, ApiReturnCode.SMSSendError, JSON.stringify(us.body));
      const gb = await sendCode(fresh, username, "SMSGB1", "sending limits: countries");
      assert.equal(gb.body.errorCode, ApiReturnCode.SendOTPInvalidDeliveryMethod);
      assert.match(gb.body.errorMessage, /GB.*challengeCountries.*US/);
      const global = await call(
        fresh,
        "POST",
        "/v1/auth/challenge",
        { username, serial: "VOICE800", method: "voice" },
        "sending limits: countries",
      );
      assert.equal(global.body.errorCode, ApiReturnCode.SendOTPInvalidDeliveryMethod);
      assert.match(global.body.errorMessage, /no country/);
      // E-mail has no country: the default list does not stop it.
      const mailUser = nextName("mailonly");
      await newUser(fresh, mailUser);
      const mailed = await call(
        fresh,
        "POST",
        "/v1/authenticators",
        { type: "email", username: mailUser, destination: `${mailUser}@mail.example` },
        "sending limits: countries",
      );
      assert.equal(mailed.status, 201, JSON.stringify(mailed.body));
    });
  });
}
