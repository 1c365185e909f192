import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import fc from "fast-check";
import { type Call, type SentChallenge, verifiedEmailDevice } from "./helpers/challenge-devices.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** A fixed seed: the same inputs on every run (a failure is reproducible, never a flake). */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_130;

/** Values no field of these routes takes: wrong types, extreme numbers, huge and odd strings. */
const extreme = fc.oneof(
  fc.constantFrom<unknown>(
    -1,
    0,
    1.5,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 53,
    -(2 ** 53),
    1e308,
    null,
    true,
    [],
    {},
    ["email"],
    { $ne: null },
    "",
    " ",
    "9".repeat(400),
    "x".repeat(20_000),
    "+".repeat(50),
    "é@ü.example",
    "../../etc/passwd",
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

/**
 * The new routes' bodies with one field replaced by an extreme value (the rest valid): the answer
 * is a 4xx naming that field, never a 5xx, never a success. Values that happen to be valid for the
 * field are skipped (fc.pre), so every run tests a refusal.
 */
for (const backend of backends) {
  suite(`challenge route inputs (${backend})`, () => {
    let s: TestServer;
    let sink: SmtpSink;
    let apiKey = "";
    const username = "prop";
    let serial = "";
    let pending: SentChallenge;
    let signIn = "";
    before(async () => {
      sink = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(sink) });
      ({ apiKey } = await s.tenant());
      await call(
        "POST",
        "/v1/users",
        { username, password: "correct horse battery" },
        "challenge inputs: setup",
      );
      serial = await verifiedEmailDevice(call, sink, username, "prop@mail.example");
      const created = await call(
        "POST",
        "/v1/authenticators",
        { type: "email", username, destination: "prop2@mail.example" },
        "challenge inputs: setup",
      );
      pending = created.body.challenge as SentChallenge;
      const sent = await call("POST", "/v1/auth/challenge", { username, serial }, "challenge inputs: setup");
      signIn = String(sent.body.challengeId);
    });
    after(async () => {
      await s.close();
      await sink.close();
    });
    const call: Call = (method, path, body, scenario) => s.api(method, path, { apiKey, body, scenario });

    const isLocale = (v: unknown) =>
      typeof v === "string" && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$/.test(v);
    const isSerialShape = (v: unknown) => typeof v === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(v);
    const isUsernameShape = (v: unknown) =>
      typeof v === "string" && /^[a-z0-9][a-z0-9._@+-]{0,127}$/i.test(v.trim());
    const isCode = (v: unknown) => typeof v === "string" && /^\d{6}$|^\d{8}$/.test(v);
    // Values that would be accepted, or refused by a check that names no field (an unknown user).
    const valid: Record<string, (v: unknown) => boolean> = {
      username: isUsernameShape,
      serial: (v) => v === serial,
      method: (v) => v === "email",
      locale: isLocale,
      destination: (v) => typeof v === "string" && /^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(v),
      digits: (v) => v === 6 || v === 8,
      maxUses: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 2 ** 31 - 1,
      otp: isCode,
      challengeId: () => false,
    };

    const routes: {
      name: string;
      path: () => string;
      base: () => Record<string, unknown>;
      fields: string[];
    }[] = [
      {
        name: "POST /v1/auth/challenge",
        path: () => "/v1/auth/challenge",
        base: () => ({ username, serial, method: "email", locale: "en" }),
        fields: ["username", "serial", "method", "locale"],
      },
      {
        name: "POST /v1/authenticators (email)",
        path: () => "/v1/authenticators",
        base: () => ({
          type: "email",
          username,
          destination: "prop3@mail.example",
          digits: 6,
          locale: "en",
          maxUses: 5,
        }),
        fields: ["destination", "digits", "locale", "maxUses", "serial"],
      },
      {
        name: "POST /v1/auth/otp (challengeId)",
        path: () => "/v1/auth/otp",
        base: () => ({ username, otp: "123456", challengeId: signIn }),
        fields: ["otp", "challengeId"],
      },
      {
        name: "POST /v1/authenticators/{serial}/activate (challengeId)",
        path: () => `/v1/authenticators/${pending.serial}/activate`,
        base: () => ({ otp: "123456", challengeId: pending.challengeId }),
        fields: ["otp", "challengeId"],
      },
      {
        name: "POST /v1/authenticators/{serial}/verification",
        path: () => `/v1/authenticators/${pending.serial}/verification`,
        base: () => ({ method: "email", locale: "en" }),
        fields: ["method", "locale"],
      },
    ];

    for (const route of routes)
      test(`${route.name}: one extreme field is a 4xx naming it`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...route.fields), extreme, async (field, value) => {
            // A serial of the right shape is a lookup (DeviceNotFound names it too), except on creation,
            // where a fresh well-formed serial is simply taken.
            if (field === "serial" && route.name.startsWith("POST /v1/authenticators"))
              fc.pre(!isSerialShape(value));
            if (field === "username") fc.pre(!isUsernameShape(value));
            fc.pre(!(valid[field]?.(value) ?? false));
            const body = { ...route.base(), [field]: value };
            const r = await call("POST", route.path(), body, "challenge inputs: extremes");
            assert.ok(
              r.status >= 400 && r.status < 500,
              `${field}=${JSON.stringify(value)?.slice(0, 80)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`,
            );
            assert.equal(
              (r.body as { field?: string }).field,
              `body.${field}`,
              JSON.stringify(r.body).slice(0, 300),
            );
          }),
          { numRuns: 30, seed },
        );
      });
  });
}
