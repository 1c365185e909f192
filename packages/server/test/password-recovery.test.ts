import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, publicMessage, TesseraApiCode } from "@tessera/codes";
import { escapeHtml, html } from "../src/pages/html.ts";
import { recoveryLink, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

test("pages escape every interpolated value", () => {
  assert.equal(
    escapeHtml(`<a href="x" onclick='y'>&</a>`),
    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
  const name = `"><script>alert(1)</script>`;
  assert.equal(
    html`<p title="${name}">${name}</p>`.safe,
    `<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
  );
});

for (const backend of backends) {
  suite(`password recovery (${backend})`, () => {
    let s: TestServer;
    let smtp: SmtpSink;
    before(async () => {
      smtp = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(smtp) });
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });

    const start = (apiKey: string, username: string, scenario = "recovery: start") =>
      s.api("POST", "/v1/password-recovery", { apiKey, body: { username }, scenario });
    const status = (apiKey: string, rid: unknown, scenario: string) =>
      s.api("GET", `/v1/password-recovery/${String(rid)}`, { apiKey, scenario });
    const shape = (body: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(body).map(([k, v]) => [k, k === "errorCode" ? v : typeof v]));

    test("a known and an unknown username get the same answer, before any e-mail is delivered", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "una", email: "una@mail.test" },
        scenario: "recovery: setup",
      });
      // The sink holds its answer to every message: an answer that waited for the e-mail would
      // not arrive until the release below.
      const gate = smtp.hold();
      try {
        const known = await start(apiKey, "una");
        const unknown = await start(apiKey, "nobody");
        assert.equal(known.status, 200);
        assert.equal(unknown.status, known.status);
        assert.deepEqual(shape(unknown.body), shape(known.body));
        assert.match(String(unknown.body.requestId), /^[A-Za-z0-9_-]{22}$/);
        assert.equal(
          (await status(apiKey, known.body.requestId, "recovery: mail pending")).body.mail,
          "queued",
          "the answer left before the SMTP server confirmed the e-mail",
        );
        await gate.arrived;
        gate.release();
        const link = await recoveryLink(smtp, "una@mail.test", 1);
        assert.equal(link.searchParams.get("rid"), known.body.requestId);
        let read = await status(apiKey, known.body.requestId, "recovery: mail pending");
        const deadline = Date.now() + 10_000;
        while (read.body.mail !== "sent" && Date.now() < deadline)
          read = await status(apiKey, known.body.requestId, "recovery: mail pending");
        assert.equal(read.body.mail, "sent");
        const other = await s.tenant();
        const foreign = await status(other.apiKey, known.body.requestId, "recovery: other tenant");
        assert.equal(foreign.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound);
        const made = await status(apiKey, unknown.body.requestId, "recovery: unknown request");
        assert.equal(made.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound);
      } finally {
        gate.release();
      }
    });

    test("the limit counts unknown usernames like known ones", async () => {
      const { apiKey } = await s.tenant();
      for (let i = 0; i < 5; i += 1) assert.equal((await start(apiKey, "ghost")).status, 200);
      const limited = await start(apiKey, "ghost", "recovery: rate limited");
      assert.equal(limited.body.errorCode, TesseraApiCode.RateLimited);
    });

    test("the e-mailed link opens a form that sets the password once, and refuses anything else alike", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "vera", email: "vera@mail.test", password: "the old password" },
        scenario: "recovery: setup",
      });
      await start(apiKey, "vera");
      const link = await recoveryLink(smtp, "vera@mail.test", 1);
      const rid = link.searchParams.get("rid") ?? "";
      const mid = link.searchParams.get("mid") ?? "";
      const page = await fetch(`${s.url}${link.pathname}${link.search}`);
      assert.equal(page.status, 200);
      for (const [name, value] of Object.entries({
        "content-type": /^text\/html; charset=utf-8$/,
        "cache-control": /^no-store$/,
        "referrer-policy": /^no-referrer$/,
        "content-security-policy": /default-src 'none'.*form-action 'self'/,
      }))
        assert.match(page.headers.get(name) ?? "", value, name);
      const form = await page.text();
      assert.match(form, new RegExp(`name="rid" value="${rid}"`));
      assert.match(form, new RegExp(`name="mid" value="${mid}"`));
      assert.doesNotMatch(form, /<script/);

      const post = (fields: Record<string, string>) =>
        fetch(`${s.url}/password-recovery`, { method: "POST", body: new URLSearchParams(fields) });
      const differ = await post({ rid, mid, password: "a new password", confirm: "another one" });
      assert.equal(differ.status, 400);
      assert.match(await differ.text(), /not the same/);

      // Every kind of bad link shows the same public message.
      const generic = escapeHtml(publicMessage(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound));
      const otherMid = `${mid.slice(0, -2)}${mid.endsWith("AA") ? "BB" : "AA"}`;
      for (const bad of [
        { rid, mid: otherMid },
        { rid: "A".repeat(22), mid },
        { rid: "<b>", mid },
      ]) {
        const refused = await post({ ...bad, password: "a new password", confirm: "a new password" });
        assert.ok(refused.status >= 400 && refused.status < 500, String(refused.status));
        const text = await refused.text();
        assert.ok(text.includes(generic), text);
        assert.doesNotMatch(text, /<b>/);
      }

      const done = await post({ rid, mid, password: "a new password", confirm: "a new password" });
      assert.equal(done.status, 200);
      assert.match(await done.text(), /Your password was changed/);
      const signIn = await s.api("POST", "/v1/auth/password", {
        apiKey,
        body: { username: "vera", password: "a new password" },
        scenario: "recovery: after the page",
      });
      assert.equal(signIn.body.errorCode, 0);
      const again = await post({ rid, mid, password: "yet another one", confirm: "yet another one" });
      assert.equal(again.status, 404);
      assert.equal((await fetch(`${s.url}${link.pathname}${link.search}`)).status, 404, "the link is spent");
    });

    test("concurrent submissions of one link set one password", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "wes", email: "wes@mail.test" },
        scenario: "recovery: setup",
      });
      await start(apiKey, "wes");
      const link = await recoveryLink(smtp, "wes@mail.test", 1);
      const fields = { rid: link.searchParams.get("rid") ?? "", mid: link.searchParams.get("mid") ?? "" };
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fetch(`${s.url}/password-recovery`, {
            method: "POST",
            body: new URLSearchParams({
              ...fields,
              password: `password number ${i}`,
              confirm: `password number ${i}`,
            }),
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1);
    });
  });
}
