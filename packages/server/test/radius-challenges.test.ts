import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { approvalPayload } from "../src/approvals/approval-payload.ts";
import { mailedCode, verifiedEmailDevice } from "./helpers/challenge-devices.ts";
import { TestPushApp } from "./helpers/push-app.ts";
import { addRadiusClient, auditRowsEventually, radclient } from "./helpers/radius.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const SECRET = "challenge-secret";

for (const backend of backends) {
  suite(`RADIUS challenges for sent codes and push (${backend})`, () => {
    let s: TestServer;
    let sink: SmtpSink;
    let apiKey = "";
    let n = 0;
    before(async () => {
      sink = await startSmtpSink();
      s = await startTestServer(backend, { radius: true, flags: smtpFlags(sink) });
      ({ apiKey } = await s.tenant());
      await addRadiusClient(s, apiKey, { address: "127.0.0.1", secret: SECRET });
    });
    after(async () => {
      await s.close();
      await sink.close();
    });

    const call = (method: string, path: string, body: unknown, scenario: string) =>
      s.api(method, path, { apiKey, body, scenario });
    const newUser = async () => {
      n += 1;
      const username = `chal${n}`;
      const r = await call("POST", "/v1/users", { username, password: "correct horse" }, "radius: setup");
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return username;
    };
    const pap = (username: string, password: string, state?: string) =>
      radclient({ port: s.server.radius?.port ?? 0 }, "auth", SECRET, [
        `User-Name = "${username}"`,
        `User-Password = "${password}"`,
        "Message-Authenticator = 0x00",
        ...(state === undefined ? [] : [`State = ${state}`]),
      ]);
    const attribute = (answer: { attributes: readonly (readonly [string, string])[] }, name: string) =>
      answer.attributes.find(([key]) => key === name)?.[1];

    test("an e-mail device: the challenge sends a code, and that code answers it", async () => {
      const username = await newUser();
      const address = `${username}@example.test`;
      await verifiedEmailDevice(call, sink, username, address);
      const sentBefore = sink.to(address).length;
      const challenge = await pap(username, "correct horse");
      assert.equal(challenge.code, "Access-Challenge", challenge.output);
      assert.equal(attribute(challenge, "Reply-Message"), "Enter the code that was sent to you");
      const code = await mailedCode(sink, address, sentBefore + 1);
      const wrong = await pap(
        username,
        code === "000000" ? "111111" : "000000",
        attribute(challenge, "State"),
      );
      assert.equal(wrong.code, "Access-Reject", wrong.output);
      // A wrong code spent the State: the right code must come with a new challenge.
      const again = await pap(username, "correct horse");
      const resent = await mailedCode(sink, address, sentBefore + 2);
      const accepted = await pap(username, resent, attribute(again, "State"));
      assert.equal(accepted.code, "Access-Accept", accepted.output);
      const rows = await auditRowsEventually(
        s.server.ctx.database.db,
        (row) => row.subject === `user:${username}`,
        4,
      );
      assert.deepEqual(
        rows.map((row) => row.result_code),
        [ApiReturnCode.Success, ApiReturnCode.OTPInvalid, ApiReturnCode.Success, ApiReturnCode.Success],
      );
    });

    test("a push device: the challenge sends a push with the number; Enter after approving is accepted", async () => {
      const username = await newUser();
      const link = await call("POST", `/v1/users/${username}/push-enrolments`, undefined, "radius: setup");
      const phone = new TestPushApp(s.url, () => s.clock.now());
      assert.equal((await phone.enrol(String(link.body.enrolmentUrl), "radius: setup")).status, 201);
      const challenge = await pap(username, "correct horse");
      assert.equal(challenge.code, "Access-Challenge", challenge.output);
      const text = attribute(challenge, "Reply-Message") ?? "";
      const number = Number(/number (\d+)/.exec(text)?.[1]);
      assert.ok(number >= 10 && number <= 99, text);
      const state = attribute(challenge, "State");
      // Not approved yet: the same challenge again.
      const waiting = await pap(username, "ok", state);
      assert.equal(waiting.code, "Access-Challenge", waiting.output);
      assert.equal(attribute(waiting, "State"), state);
      const request = await s.server.ctx.database.db
        .selectFrom("approval_requests")
        .innerJoin("users", "users.id", "approval_requests.user_id")
        .select("approval_requests.reference")
        .where("users.username", "=", username)
        .executeTakeFirstOrThrow();
      const { reference } = request;
      const answered = await phone.call(
        "POST",
        `/app/v1/requests/${reference}/answer`,
        "radius: push approved",
        {
          body: {
            decision: "approved",
            number,
            approvalCode: phone.sign(
              approvalPayload({ reference, kind: "sign-in", decision: "approved", number, details: null }),
            ),
          },
        },
      );
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      const accepted = await pap(username, "ok", state);
      assert.equal(accepted.code, "Access-Accept", accepted.output);
      const replayed = await pap(username, "ok", state);
      assert.equal(replayed.code, "Access-Reject", replayed.output);
    });
  });
}
