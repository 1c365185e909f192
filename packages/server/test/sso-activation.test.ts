import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { publicMessageIn } from "../src/sso/pages/public-message.ts";
import { insertApp, postForm, shownSecret } from "./helpers/activation.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { runCli } from "./helpers/run-cli.ts";
import { bodyText, mailTo, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const linkPattern = /(http:\/\/\S+\/oidc\/\S+\/activate\?id=[A-Za-z0-9_-]+)/;
const HOUR = 3600_000;

for (const backend of backends) {
  suite(`account activation (${backend})`, () => {
    let s: TestServer;
    let sink: SmtpSink;
    let counter = 0;
    before(async () => {
      sink = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(sink) });
    });
    after(async () => {
      await s.close();
      await sink.close();
    });

    /** A tenant, a user without a password, and the link of the `nth` invitation e-mail to the user. */
    const invited = async (apps: string[] = [], existing?: { tenantId: string; apiKey: string }) => {
      counter += 1;
      const { tenant, apiKey } = existing
        ? { tenant: { id: existing.tenantId }, apiKey: existing.apiKey }
        : await s.tenant();
      const username = `ann${counter}`;
      const email = `${username}-${backend}@mail.test`;
      await s.api("POST", "/v1/users", { apiKey, body: { username, email }, scenario: "activation: setup" });
      const invitation = await s.api("POST", `/v1/users/${username}/invitation`, {
        apiKey,
        body: { apps },
        scenario: "activation: invite",
      });
      assert.equal(invitation.status, 201, JSON.stringify(invitation.body));
      const link = await linkOf(email, 1);
      return { tenantId: tenant.id, apiKey, username, email, link, invitation };
    };
    const linkOf = async (email: string, nth: number) => {
      const mails = await mailTo(sink, email, nth, (m) => linkPattern.test(bodyText(m)));
      const mail = mails[nth - 1];
      assert.ok(mail !== undefined);
      const text = bodyText(mail);
      return new URL(String(linkPattern.exec(text)?.[1]).replace(/^http:\/\/[^/]+/, s.url));
    };
    const idOf = (link: URL) => link.searchParams.get("id") ?? "";
    const pageUrl = (tenantId: string) => `${s.url}/oidc/${tenantId}/activate`;
    /** The page as an app sees it: the envelope, its code recorded for the coverage report. */
    const asJson = (url: string, scenario: string, body?: Record<string, string>) =>
      apiRequest(url, {
        method: body === undefined ? "GET" : "POST",
        scenario,
        headers: { accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    /** Reads the page's code back from the tenant's audit trail (pages show only the public message). */
    const audited = async (apiKey: string, code: number, scenario: string, subject?: string) => {
      const query = `resultCode=${code}${subject ? `&subject=user:${subject}` : ""}`;
      const read = await s.api("GET", `/v1/audit?${query}`, { apiKey, scenario });
      const events = read.body.events as { resultCode: number; operation: string }[];
      if (events.length > 0) recordObservedCode("api", code, scenario);
      return events;
    };
    const setPassword = (link: URL, password = "correct horse battery") =>
      postForm(pageUrl(link.pathname.split("/")[2] ?? ""), {
        id: idOf(link),
        step: "password",
        password,
        confirm: password,
      });
    const totpCode = (page: string) =>
      oathtoolTotp(Buffer.from(decodeBase32(shownSecret(page)) ?? []).toString("hex"), s.clock.now());

    test("invite, set a password, enrol TOTP by QR (oathtool code), see the provisioned apps: 9076 audited, apps assigned", async () => {
      const { tenant, apiKey } = await s.tenant();
      await insertApp(s, tenant.id, `crm-${tenant.id.slice(0, 8)}`, "CRM");
      await insertApp(s, tenant.id, `wiki-${tenant.id.slice(0, 8)}`, "Wiki");
      const apps = [`crm-${tenant.id.slice(0, 8)}`, `wiki-${tenant.id.slice(0, 8)}`];
      const { link, username, invitation } = await invited(apps, { tenantId: tenant.id, apiKey });
      assert.equal(link.pathname, `/oidc/${tenant.id}/activate`);
      assert.ok(!JSON.stringify(invitation.body).includes(idOf(link)), "the answer never carries the id");
      assert.deepEqual((invitation.body.invitation as { apps: string[] }).apps, apps);
      const first = await fetch(link);
      assert.equal(first.status, 200);
      const page = await first.text();
      assert.match(page, /<label for="password">/);
      assert.equal((page.match(/<h1>/g) ?? []).length, 1);
      const totpPage = await setPassword(link);
      assert.equal(totpPage.status, 200, totpPage.text);
      assert.match(totpPage.text, /src="data:image\/png;base64,/);
      assert.ok(shownSecret(totpPage.text).length >= 32);
      // Reloading shows the same key (the token is not replaced until confirmed).
      const again = await (await fetch(link)).text();
      assert.equal(shownSecret(again), shownSecret(totpPage.text));
      const done = await postForm(pageUrl(tenant.id), { id: idOf(link), step: "totp", otp: totpCode(again) });
      assert.equal(done.status, 200, done.text);
      assert.match(done.text, /<li>CRM<\/li>/);
      assert.match(done.text, /<li>Wiki<\/li>/);
      const events = await audited(
        apiKey,
        ApiReturnCode.SSOAccountProvisionApps,
        "activation: done",
        username,
      );
      assert.equal(events.length, 1);
      const assigned = await s.server.ctx.database.db
        .selectFrom("sso_app_users")
        .select("client_id")
        .where("tenant_id", "=", tenant.id)
        .orderBy("client_id")
        .execute();
      assert.deepEqual(
        assigned.map((r) => r.client_id),
        apps,
      );
      // The user can now sign in with the password and the enrolled token.
      const signIn = await s.api("POST", "/v1/auth/password", {
        apiKey,
        body: { username, password: "correct horse battery" },
        scenario: "activation: sign in after",
      });
      assert.equal(signIn.body.errorCode, 0, JSON.stringify(signIn.body));
      const tokens = await s.api("GET", `/v1/authenticators?username=${username}`, {
        apiKey,
        scenario: "activation: tokens after",
      });
      const list = tokens.body.authenticators as { activated: boolean; type: string }[];
      assert.deepEqual(
        list.map((t) => [t.type, t.activated]),
        [["totp", true]],
      );
      // Replaying the finished activation: the link is spent.
      const replay = await asJson(link.href, "activation: replay finished");
      assert.equal(replay.body.errorCode, ApiReturnCode.SSOAccountActivationIdInvalid);
      const replayPost = await asJson(pageUrl(tenant.id), "activation: replay finished post", {
        id: idOf(link),
        step: "totp",
        otp: "000000",
      });
      assert.equal(replayPost.body.errorCode, ApiReturnCode.SSOAccountActivationIdInvalid);
    });

    test("the six codes: no id, invalid ids, another tenant's issuer, disabled, already activated; invalid before anything else", async () => {
      const { link, tenantId, apiKey, username } = await invited();
      const noId = await asJson(pageUrl(tenantId), "activation: no id");
      assert.equal(noId.status, 400);
      assert.equal(noId.body.errorCode, ApiReturnCode.SSOAccountActivationIdNotSpecified);
      const noIdPost = await asJson(pageUrl(tenantId), "activation: no id post", { step: "password" });
      assert.equal(noIdPost.body.errorCode, ApiReturnCode.SSOAccountActivationIdNotSpecified);
      for (const id of ["x", "A".repeat(43), `${idOf(link).slice(0, 42)}!`, `${idOf(link)}A`]) {
        const bad = await asJson(
          `${pageUrl(tenantId)}?id=${encodeURIComponent(id)}`,
          "activation: invalid id",
        );
        assert.equal(bad.status, 400);
        assert.equal(bad.body.errorCode, ApiReturnCode.SSOAccountActivationIdInvalid, id);
      }
      // An HTML visit: the page shows the public message; the precise code is in the trail.
      const htmlNoId = await fetch(pageUrl(tenantId));
      assert.equal(htmlNoId.status, 400);
      assert.match(htmlNoId.headers.get("content-type") ?? "", /^text\/html/);
      assert.ok(
        (await audited(apiKey, ApiReturnCode.SSOAccountActivationIdNotSpecified, "activation: audit"))
          .length > 0,
      );
      assert.ok(
        (await audited(apiKey, ApiReturnCode.SSOAccountActivationIdInvalid, "activation: audit")).length > 0,
      );

      const other = await s.tenant();
      const elsewhere = await asJson(
        `${pageUrl(other.tenant.id)}?id=${idOf(link)}`,
        "activation: other tenant",
      );
      assert.equal(elsewhere.status, 409);
      assert.equal(elsewhere.body.errorCode, ApiReturnCode.SSOActivationAccountAssignedToDifferentPartner);
      // Recorded in the trail of the tenant the link belongs to, under its user.
      assert.equal(
        (
          await audited(
            apiKey,
            ApiReturnCode.SSOActivationAccountAssignedToDifferentPartner,
            "activation: audit",
            username,
          )
        ).length,
        1,
      );

      await s.api("PATCH", `/v1/users/${username}`, {
        apiKey,
        body: { disabled: true },
        scenario: "activation: disable",
      });
      const disabled = await asJson(link.href, "activation: disabled");
      assert.equal(disabled.status, 403);
      assert.equal(disabled.body.errorCode, ApiReturnCode.SSOActivationAccountDisabled);
      // A guessed id learns nothing about the account: still IdInvalid.
      const guessed = await asJson(`${pageUrl(tenantId)}?id=${"B".repeat(43)}`, "activation: invalid id");
      assert.equal(guessed.body.errorCode, ApiReturnCode.SSOAccountActivationIdInvalid);
      const invDisabled = await s.api("POST", `/v1/users/${username}/invitation`, {
        apiKey,
        scenario: "activation: invite disabled",
      });
      assert.equal(invDisabled.body.errorCode, ApiReturnCode.SSOActivationAccountDisabled);
      await s.api("PATCH", `/v1/users/${username}`, {
        apiKey,
        body: { disabled: false },
        scenario: "activation: enable",
      });

      // A password set some other way after the invitation: the link cannot replace it.
      await s.server.ctx.database.db
        .updateTable("users")
        .set({ password_hash: await s.server.ctx.passwords.hash("set by the administrator") })
        .where("username", "=", username)
        .where("tenant_id", "=", tenantId)
        .execute();
      const provisioned = await asJson(link.href, "activation: already provisioned");
      assert.equal(provisioned.status, 409);
      assert.equal(provisioned.body.errorCode, ApiReturnCode.SSOAccountActivationAccountAlreadyProvisioned);
      const htmlProvisioned = await fetch(link);
      assert.equal(htmlProvisioned.status, 409);
      assert.ok(
        (
          await audited(
            apiKey,
            ApiReturnCode.SSOAccountActivationAccountAlreadyProvisioned,
            "activation: audit",
            username,
          )
        ).length >= 2,
      );
      const reinvite = await s.api("POST", `/v1/users/${username}/invitation`, {
        apiKey,
        scenario: "activation: invite provisioned",
      });
      assert.equal(reinvite.status, 409);
      assert.equal(reinvite.body.errorCode, ApiReturnCode.SSOAccountActivationAccountAlreadyProvisioned);
    });

    test("crafted requests: a token code before the password, a password twice, an expired link, a replaced link", async () => {
      const { link, tenantId } = await invited();
      const early = await asJson(pageUrl(tenantId), "activation: totp before password", {
        id: idOf(link),
        step: "totp",
        otp: "123456",
      });
      assert.equal(early.status, 400);
      assert.equal(early.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(early.body.errorField ?? early.body.field ?? "body.step", "body.step");
      const stillPassword = await asJson(link.href, "activation: state");
      assert.equal(stillPassword.body.step, "password");
      const short = await asJson(pageUrl(tenantId), "activation: short password", {
        id: idOf(link),
        step: "password",
        password: "short",
        confirm: "short",
      });
      assert.equal(short.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal((await setPassword(link)).status, 200);
      const twice = await setPassword(link, "another password here");
      assert.equal(twice.status, 400, "the password step cannot be taken again");
      const wrong = await postForm(pageUrl(tenantId), { id: idOf(link), step: "totp", otp: "000000" });
      assert.ok(wrong.status === 400 || wrong.status === 401, String(wrong.status));
      assert.match(wrong.text, /role="alert"/, "a wrong code shows the form again with a hint");

      // Re-inviting is refused now (the user has a password); a fresh user shows replacement.
      const second = await invited();
      const reinvite = await s.api("POST", `/v1/users/${second.username}/invitation`, {
        apiKey: second.apiKey,
        scenario: "activation: re-invite",
      });
      assert.equal(reinvite.status, 201);
      const replaced = await asJson(second.link.href, "activation: replaced link");
      assert.equal(replaced.body.errorCode, ApiReturnCode.SSOAccountActivationIdInvalid);
      const newer = await linkOf(second.email, 2);
      assert.equal((await asJson(newer.href, "activation: newer link")).body.step, "password");
      s.clock.advance(72 * HOUR);
      const expired = await asJson(newer.href, "activation: expired link");
      assert.equal(expired.body.errorCode, ApiReturnCode.SSOAccountActivationIdInvalid);
      const expiredPost = await setPassword(newer);
      assert.equal(expiredPost.status, 400);
      // Housekeeping deletes expired activations (the replaced one and the expired one here).
      const round = await runHousekeepingRound(s.server.ctx, s.clock.now());
      assert.ok((round.deleted.sso_activations ?? 0) >= 2, JSON.stringify(round.deleted));
      const left = await s.server.ctx.database.db
        .selectFrom("sso_activations")
        .select("state")
        .where("tenant_id", "=", second.tenantId)
        .execute();
      assert.deepEqual(left, []);
    });

    test("a burst of concurrent posts completes each step once", async () => {
      const { link, tenantId, apiKey, username } = await invited();
      const passwords = await Promise.all(
        Array.from({ length: 8 }, (_, i) => setPassword(link, `burst password ${i}`)),
      );
      const moved = passwords.filter((p) => p.status === 200);
      assert.equal(moved.length, 1, passwords.map((p) => p.status).join(","));
      const page = moved[0]?.text ?? "";
      const code = totpCode(page);
      const finishes = await Promise.all(
        Array.from({ length: 8 }, () =>
          postForm(pageUrl(tenantId), { id: idOf(link), step: "totp", otp: code }),
        ),
      );
      assert.equal(
        finishes.filter((f) => f.status === 200).length,
        1,
        finishes.map((f) => f.status).join(","),
      );
      assert.equal(
        (await audited(apiKey, ApiReturnCode.SSOAccountProvisionApps, "activation: burst", username)).length,
        1,
      );
      const tokens = await s.server.ctx.database.db
        .selectFrom("authenticators")
        .innerJoin("users", "users.id", "authenticators.user_id")
        .select("authenticators.activated")
        .where("users.username", "=", username)
        .where("users.tenant_id", "=", tenantId)
        .execute();
      assert.deepEqual(
        tokens.map((t) => t.activated),
        [1],
      );
    });

    test("wrong codes at the token step: a burst is held to the tenant's attempt limit, then even the right code is locked out", async () => {
      const { link, tenantId } = await invited();
      const page = await setPassword(link);
      const right = totpCode(page.text);
      const wrong = right === "000000" ? "111111" : "000000";
      const burst = await Promise.all(
        Array.from({ length: 12 }, () =>
          asJson(pageUrl(tenantId), "activation: wrong code burst", {
            id: idOf(link),
            step: "totp",
            otp: wrong,
          }),
        ),
      );
      const codes = burst.map((r) => r.body.errorCode);
      const evaluated = codes.filter((c) => c === ApiReturnCode.OTPInvalid).length;
      assert.ok(evaluated <= 5, `${evaluated} wrong codes were evaluated (limit 5): ${codes.join(",")}`);
      for (const c of codes)
        assert.ok(
          c === ApiReturnCode.OTPInvalid || c === ApiReturnCode.MaximumFailedOTPRequestsExceeded,
          String(c),
        );
      const locked = await asJson(pageUrl(tenantId), "activation: locked token", {
        id: idOf(link),
        step: "totp",
        otp: right,
      });
      assert.equal(locked.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      assert.equal((await asJson(link.href, "activation: still at totp")).body.step, "totp");
    });

    test("the page speaks German and Spanish (ui_locales first, then Accept-Language), labelled, one h1", async () => {
      const { link } = await invited();
      const german = await (await fetch(link, { headers: { "accept-language": "de-CH, en;q=0.5" } })).text();
      assert.match(german, /<h1>Konto aktivieren<\/h1>/);
      assert.match(german, /<label for="confirm">Dasselbe Passwort noch einmal<\/label>/);
      const spanish = await (
        await fetch(`${link.href}&ui_locales=es`, { headers: { "accept-language": "de" } })
      ).text();
      assert.match(spanish, /<h1>Active su cuenta<\/h1>/);
      assert.match(spanish, /name="ui_locales" value="es"/, "the form keeps the language for the next step");
      const next = await postForm(pageUrl(link.pathname.split("/")[2] ?? ""), {
        id: idOf(link),
        step: "password",
        password: "correct horse battery",
        confirm: "correct horse battery",
        ui_locales: "es",
      });
      assert.match(next.text, /<h1>Configure su aplicación de autenticación<\/h1>/);
      assert.match(next.text, /<label for="otp">/);
      assert.equal((next.text.match(/<h1>/g) ?? []).length, 1);
    });

    test("the password step answers with 303 to the token step (post/redirect/get), keeping the language", async () => {
      const { link, tenantId } = await invited();
      const posted = await fetch(pageUrl(tenantId), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          id: idOf(link),
          step: "password",
          password: "correct horse battery",
          confirm: "correct horse battery",
          ui_locales: "de",
        }).toString(),
      });
      assert.equal(posted.status, 303);
      const location = new URL(posted.headers.get("location") ?? "", s.url);
      assert.equal(location.pathname, `/oidc/${tenantId}/activate`);
      assert.equal(location.searchParams.get("id"), idOf(link));
      assert.equal(location.searchParams.get("ui_locales"), "de");
      const next = await (await fetch(location)).text();
      assert.match(next, /<h1>Authenticator-App einrichten<\/h1>/);
      assert.ok(shownSecret(next).length >= 32, "the token step, by GET");
    });

    test("an invalid activation link says to ask the administrator (no link can be requested)", async () => {
      const { tenantId } = await invited();
      const page = await fetch(`${pageUrl(tenantId)}?id=${"A".repeat(43)}`);
      assert.equal(page.status, 400);
      const text = await page.text();
      assert.match(text, /Ask your administrator/);
      assert.doesNotMatch(text, /Request a new one/);
      // The same sentence in the pages' other languages (the activation page speaks them once it
      // renders in the SSO layout).
      const code = ApiReturnCode.SSOAccountActivationIdInvalid;
      assert.match(publicMessageIn("de", code), /Bitten Sie Ihre Administration/);
      assert.match(publicMessageIn("es", code), /Pida uno nuevo a su administrador/);
    });

    test("tessera user invite --app: the e-mail carries the link, the output does not; an unknown app is refused", async () => {
      const { tenant, apiKey } = await s.tenant();
      const clientId = `cli-${tenant.id.slice(0, 8)}`;
      await insertApp(s, tenant.id, clientId, "Console");
      const email = `dee-${backend}@mail.test`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "dee", email },
        scenario: "activation: setup",
      });
      const { dataDir, databaseUrl } = s.server.ctx.config;
      const data = [
        "--data-dir",
        dataDir,
        ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
      ];
      const env = {
        TESSERA_SMTP_HOST: "127.0.0.1",
        TESSERA_SMTP_PORT: String(sink.port),
        TESSERA_LOG_LEVEL: "silent",
      };
      const unknown = await runCli(
        [...data, "user", "invite", "dee", "--tenant", tenant.id, "--app", "nope", "--json"],
        {
          env,
          scenario: "activation: cli unknown app",
        },
      );
      assert.equal(unknown.status, 1);
      assert.equal(JSON.parse(unknown.stdout).errorCode, TesseraApiCode.NotFound);
      const r = await runCli(
        [...data, "user", "invite", "dee", "--tenant", tenant.id, "--app", clientId, "--json"],
        {
          env,
          scenario: "activation: cli invite",
        },
      );
      assert.equal(r.status, 0, r.stderr);
      const link = await linkOf(email, 1);
      assert.ok(!r.stdout.includes(idOf(link)), "the output never carries the id");
      assert.deepEqual(JSON.parse(r.stdout).invitation.apps, [clientId]);
      const page = await asJson(
        link.href.replace(/\/oidc\/[^/]+\//, `/oidc/${tenant.id}/`),
        "activation: cli link",
      );
      assert.equal(page.body.step, "password");
      const trail = await s.api("GET", "/v1/audit?subject=user:dee&operation=user.invite", {
        apiKey,
        scenario: "activation: cli audit",
      });
      assert.equal((trail.body.events as unknown[]).length, 1);
    });

    test("invitation refusals: an unknown or another tenant's app, no e-mail address, a refused e-mail leaves nothing open", async () => {
      const { tenant, apiKey } = await s.tenant();
      const other = await s.tenant();
      await insertApp(s, other.tenant.id, `foreign-${other.tenant.id.slice(0, 8)}`, "Foreign");
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "bea", email: "bea@refused.test" },
        scenario: "activation: setup",
      });
      await s.api("POST", "/v1/users", { apiKey, body: { username: "cid" }, scenario: "activation: setup" });
      const foreign = await s.api("POST", "/v1/users/bea/invitation", {
        apiKey,
        body: { apps: [`foreign-${other.tenant.id.slice(0, 8)}`] },
        scenario: "activation: foreign app",
      });
      assert.equal(foreign.body.errorCode, TesseraApiCode.NotFound);
      const noMail = await s.api("POST", "/v1/users/cid/invitation", {
        apiKey,
        scenario: "activation: no e-mail",
      });
      assert.equal(noMail.body.errorCode, TesseraApiCode.MalformedRequest);
      const refused = await s.api("POST", "/v1/users/bea/invitation", {
        apiKey,
        scenario: "activation: mail refused",
      });
      assert.equal(refused.body.errorCode, ApiReturnCode.EnrollUserSendNotoficationFailed);
      const open = await s.server.ctx.database.db
        .selectFrom("sso_activations")
        .select("state")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.deepEqual(open, []);
      const unknown = await s.api("POST", "/v1/users/nobody/invitation", {
        apiKey,
        scenario: "activation: no user",
      });
      assert.equal(unknown.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      for (const apps of [
        [""],
        ["x".repeat(201)],
        Array.from({ length: 101 }, (_, i) => `a${i}`),
        "crm",
        [1],
      ]) {
        const bad = await s.api("POST", "/v1/users/bea/invitation", {
          apiKey,
          body: { apps },
          scenario: "activation: malformed apps",
        });
        assert.equal(bad.status, 400, JSON.stringify(bad.body));
      }
    });
  });
}
