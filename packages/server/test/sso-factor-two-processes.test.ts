import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { loadConfig } from "../src/config/load-config.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { mailedCode, verifiedEmailDevice } from "./helpers/challenge-devices.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { type SmtpSink, startSmtpSink } from "./helpers/smtp-sink.ts";
import { createTestApp, type TestApp } from "./helpers/sso-grant-fixtures.ts";
import { Browser, formsOf, type Page } from "./helpers/sso-sign-in.ts";

/**
 * An e-mail code of an SSO sign-in, sent through process a and posted at the same moment to both
 * processes sharing one PostgreSQL database, finishes the sign-in once: the binding of the
 * challenge to the sign-in is checked by either process (a key derived from the shared master
 * keys), and the step's compare-and-set and the code's single use decide in the database.
 */
const ROUNDS = 3;
const PER_PROCESS = 4;
const PASSWORD = "correct horse battery staple";
/** One user (and address) per round: the sending limits allow 3 codes per address in 15 minutes. */
const address = (round: number) => `gus${round}.person@example.test`;

suite("SSO e-mail code, two PostgreSQL server processes", () => {
  let smtp: SmtpSink;
  let pair: ProcessPair;
  let ctx: ServerContext;
  let tenantId = "";
  let app: TestApp;
  before(async () => {
    smtp = await startSmtpSink();
    pair = await startProcessPair("sso-oob-race", "sso oob two processes: setup", {
      TESSERA_SMTP_HOST: "127.0.0.1",
      TESSERA_SMTP_PORT: String(smtp.port),
    });
    ctx = await openServerContext(
      loadConfig({
        env: {},
        flags: { dataDir: pair.database.dataDir, databaseUrl: pair.database.databaseUrl, logLevel: "silent" },
      }),
    );
    const tenant = await ctx.database.db
      .selectFrom("tenants")
      .select("id")
      .where("name", "=", "sso-oob-race")
      .executeTakeFirstOrThrow();
    tenantId = tenant.id;
    const call = (method: string, path: string, body: unknown, scenario = "sso oob two processes: setup") =>
      apiRequest(`${pair.a.url}${path}`, {
        method,
        scenario,
        headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (let round = 0; round <= ROUNDS; round += 1) {
      const username = `gus${round}`;
      assert.equal((await call("POST", "/v1/users", { username, password: PASSWORD })).status, 201);
      await verifiedEmailDevice(call, smtp, username, address(round));
    }
    app = await createTestApp({ url: pair.a.url, server: { ctx } }, tenantId);
  });
  after(async () => {
    await ctx.close();
    await pair.close();
    await smtp.close();
  });

  /** A sign-in on process a up to the code form, with the code sent and read from the sink. */
  async function codeStep(round: number) {
    const url = new URL(`/oidc/${tenantId}/auth`, pair.a.url);
    url.search = new URLSearchParams({
      client_id: app.clientId,
      response_type: "code",
      redirect_uri: app.redirectUri,
      scope: "openid",
      state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    }).toString();
    const browser = new Browser();
    const landing = (await browser.follow(url, app.redirectUri)) as Page;
    const [password] = formsOf(landing);
    assert.ok(password);
    const factor = (await browser.follow(password.action, app.redirectUri, {
      method: "POST",
      form: { ...password.hidden, username: `gus${round}`, password: PASSWORD },
    })) as Page;
    const [send] = formsOf(factor);
    assert.equal(send?.hidden.factor, "email");
    const before = smtp.to(address(round)).length;
    const sent = (await browser.follow(send.action, app.redirectUri, {
      method: "POST",
      form: send.hidden,
    })) as Page;
    const form = formsOf(sent).find((f) => f.hidden.challenge !== undefined);
    assert.ok(form, sent.html.slice(0, 400));
    return { browser, form, code: await mailedCode(smtp, address(round), before + 1) };
  }

  test(`${ROUNDS} codes, each posted ${PER_PROCESS} times on each process at once: one sign-in finishes`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { browser, form, code } = await codeStep(round);
      const onB = new URL(form.action.pathname, pair.b.url);
      const fields = { ...form.hidden, otp: code };
      const answers = await Promise.all(
        Array.from({ length: PER_PROCESS }, () => [
          browser.request(form.action, { method: "POST", form: fields }),
          browser.request(onB, { method: "POST", form: fields }),
        ]).flat(),
      );
      for (const a of answers) await a.body?.cancel();
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 303).length, 1, `round ${round}: ${statuses.join()}`);
      assert.ok(
        statuses.every((s) => s === 303 || (s >= 400 && s < 500)),
        statuses.join(),
      );
    }
  });

  test("a code sent through process a finishes the sign-in on process b (the binding holds there)", async () => {
    const { browser, form, code } = await codeStep(ROUNDS);
    const answer = await browser.request(new URL(form.action.pathname, pair.b.url), {
      method: "POST",
      form: { ...form.hidden, otp: code },
    });
    await answer.body?.cancel();
    assert.equal(answer.status, 303);
  });
});
