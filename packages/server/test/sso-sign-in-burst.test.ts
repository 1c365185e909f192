import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { auditedWith, createTestApp, type SsoSignInOptions, ssoSignInUntil } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const PASSWORD = "correct horse battery";

/**
 * Bursts against the sign-in pages (production defaults: 5 wrong passwords lock an account, 20
 * password posts per username and 60 per source address a minute): the lockout and the limits
 * hold under concurrency, every refusal looks the same, and one step is taken once.
 */
for (const backend of backends) {
  suite(`SSO sign-in bursts (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let options: (username: string) => SsoSignInOptions;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
      const made = await s.tenant();
      apiKey = made.apiKey;
      const app = await createTestApp(s, made.tenant.id);
      options = (username) => ({
        baseUrl: s.url,
        tenantId: made.tenant.id,
        ...app,
        username,
        password: PASSWORD,
        otp: () => oathtoolTotp(secretHex, s.clock.now()),
      });
    });
    after(() => s.close());

    const newUser = async () => {
      n += 1;
      const username = `burst${n}`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: PASSWORD },
        scenario: "sso burst: setup",
      });
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
        scenario: "sso burst: setup",
      });
      return username;
    };

    test("40 concurrent password posts: at most the lockout's allowance is evaluated, and every answer is the same", async () => {
      const username = await newUser();
      const at = await ssoSignInUntil(options(username), "password");
      const { passwords } = s.server.ctx;
      const verify = passwords.verify.bind(passwords);
      let evaluated = 0;
      // Counts the real Argon2id verifications (the real function still runs).
      passwords.verify = (password, hash) => {
        evaluated += 1;
        return verify(password, hash);
      };
      const post = async (fields: Record<string, string>) => {
        const response = await at.browser.request(at.form.action, {
          method: "POST",
          form: { ...at.form.hidden, ...fields },
        });
        return { status: response.status, html: await response.text() };
      };
      try {
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) => post({ username, password: `wrong guess ${i}` })),
        );
        assert.ok(evaluated <= 5, `${evaluated} passwords were evaluated`);
        const [first] = answers;
        assert.ok(first !== undefined && first.status === 401);
        for (const answer of answers) assert.deepEqual(answer, first);
        // The right password now, and an unknown user: the same answer again.
        assert.deepEqual(await post({ username, password: PASSWORD }), first);
        assert.deepEqual(await post({ username: "no-such-person", password: PASSWORD }), first);
        assert.ok(evaluated <= 5, `${evaluated} passwords were evaluated`);
      } finally {
        passwords.verify = verify;
      }
      // The precise codes are in the audit trail: the wrong guesses, the lock, the per-account limit.
      const wrong = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.PartnerUserLoginFailed,
        "sso burst: wrong password",
      );
      const locked = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
        "sso burst: locked",
      );
      const limited = await auditedWith(s, apiKey, TesseraApiCode.RateLimited, "sso burst: rate limited");
      const mine = (events: { subject: string | null }[]) =>
        events.filter((e) => e.subject === `user:${username}`);
      assert.ok(mine(wrong).length <= 5);
      assert.ok(mine(locked).length >= 1);
      assert.ok(mine(limited).length >= 20, `${mine(limited).length} rate-limited`);
      assert.equal(mine(wrong).length + mine(locked).length + mine(limited).length, 41);
    });

    test("two concurrent posts of the right code: one sign-in finishes, the other is refused", async () => {
      const username = await newUser();
      s.clock.advance(61_000);
      const at = await ssoSignInUntil(options(username), "factor");
      const code = oathtoolTotp(secretHex, s.clock.now());
      const answers = await Promise.all(
        [0, 1].map(async () => {
          const response = await at.browser.request(at.form.action, {
            method: "POST",
            form: { ...at.form.hidden, otp: code },
          });
          await response.body?.cancel();
          return response.status;
        }),
      );
      assert.deepEqual(
        answers.sort(),
        [303, 401],
        "exactly one post moves on (303 to the provider), the other is refused",
      );
    });

    test("70 concurrent posts naming different usernames from one address: at most 60 a minute are checked", async () => {
      const username = await newUser();
      // Fresh one-minute windows for this test.
      s.clock.advance(61_000);
      const at = await ssoSignInUntil(options(username), "password");
      const prefix = `spray${n}-`;
      const statuses = await Promise.all(
        Array.from({ length: 70 }, async (_, i) => {
          const response = await at.browser.request(at.form.action, {
            method: "POST",
            form: { ...at.form.hidden, username: `${prefix}${i}`, password: "Summer2026!" },
          });
          await response.body?.cancel();
          return response.status;
        }),
      );
      assert.ok(statuses.every((status) => status === 401));
      const sprayed = (events: { subject: string | null }[]) =>
        events.filter((e) => e.subject?.startsWith(`user:${prefix}`)).length;
      const checked = sprayed(
        await auditedWith(s, apiKey, ApiReturnCode.InvalidPartnerUserLogin, "sso burst: unknown user"),
      );
      const limited = sprayed(
        await auditedWith(s, apiKey, TesseraApiCode.RateLimited, "sso burst: per source"),
      );
      assert.ok(checked <= 60, `${checked} checked`);
      assert.equal(checked + limited, 70);
    });
  });
}
