import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { postForm, shownSecret } from "./helpers/activation.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { bodyText, mailTo, type SmtpSink, startSmtpSink } from "./helpers/smtp-sink.ts";

const linkPattern = /\/oidc\/([^/\s]+)\/activate\?id=([A-Za-z0-9_-]+)/;

/** One activation's steps posted concurrently to two server processes on one PostgreSQL. */
suite("account activation across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
    pair = await startProcessPair("activating-pair", "activation two processes: setup", {
      TESSERA_SMTP_HOST: "127.0.0.1",
      TESSERA_SMTP_PORT: String(sink.port),
    });
  });
  after(async () => {
    await pair.close();
    await sink.close();
  });

  test("each step of a burst spread over both processes is taken exactly once", async () => {
    const api = keyedClient(pair.a.url, pair.apiKey);
    await api("POST", "/v1/users", "activation two processes: setup", {
      username: "eve",
      email: "eve@mail.test",
    });
    const invited = await api("POST", "/v1/users/eve/invitation", "activation two processes: invite", {});
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const [mail] = await mailTo(sink, "eve@mail.test", 1);
    const [, tenantId = "", id = ""] = linkPattern.exec(mail === undefined ? "" : bodyText(mail)) ?? [];
    // Opening the link logs the request: the id is a bearer secret and must not reach the log.
    const opened = await fetch(`${pair.a.url}/oidc/${tenantId}/activate?id=${id}`);
    assert.equal(opened.status, 200);
    const page = (i: number) => `${(i % 2 ? pair.a : pair.b).url}/oidc/${tenantId}/activate`;
    const passwords = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        postForm(page(i), {
          id,
          step: "password",
          password: `pair password ${i}`,
          confirm: `pair password ${i}`,
        }),
      ),
    );
    const moved = passwords.filter((p) => p.status === 200);
    assert.equal(moved.length, 1, passwords.map((p) => p.status).join(","));
    const secret = Buffer.from(decodeBase32(shownSecret(moved[0]?.text ?? "")) ?? []).toString("hex");
    const code = oathtoolTotp(secret, Date.now());
    const finishes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => postForm(page(i), { id, step: "totp", otp: code })),
    );
    assert.equal(finishes.filter((f) => f.status === 200).length, 1, finishes.map((f) => f.status).join(","));
    const trail = await api(
      "GET",
      `/v1/audit?subject=user:eve&resultCode=${ApiReturnCode.SSOAccountProvisionApps}`,
      "activation two processes: audit",
    );
    assert.equal((trail.body.events as unknown[]).length, 1);
    recordObservedCode("api", ApiReturnCode.SSOAccountProvisionApps, "activation two processes: audit");
    const logged = JSON.stringify([...pair.a.logs, ...pair.b.logs]);
    assert.match(logged, /\/activate\?id=\[redacted\]/, "the request was logged, without its id");
    assert.ok(!logged.includes(id), "the activation id reached the log");
  });
});
