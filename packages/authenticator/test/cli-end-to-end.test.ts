import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { approvalPayload } from "../../server/src/approvals/approval-payload.ts";
import { ManualClock } from "../../server/src/clock/clock.ts";
import {
  devicePublicKey,
  openDeviceMaterial,
  verifyDeviceSignature,
} from "../../server/src/push/device-material.ts";
import { backends } from "../../server/test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.ts";
import { enrolledApp, enrolmentLink } from "./helpers/enrolled-app.ts";
import {
  freshStateDir,
  outputMatching,
  runAuthenticator,
  startAuthenticator,
} from "./helpers/run-authenticator.ts";

for (const backend of backends) {
  suite(`tessera-authenticator against a real server (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // The app signs with its own clock (Date.now()) and the server accepts timestamps within
      // ±5 minutes of its clock: the server's manual clock starts at the real time for that.
      s = await startTestServer(backend, { clock: new ManualClock(Date.now()) });
    });
    after(() => s.close());

    test("enrol from a link: the device is alice's, kept in a 0700 directory and a 0600 key file, listed", async () => {
      const app = await enrolledApp(s);
      assert.equal(app.device.type, "push");
      assert.equal(app.device.activated, 1);
      assert.equal(app.device.algorithm, "ed25519");
      assert.equal(statSync(app.stateDir).mode & 0o777, 0o700);
      assert.equal(statSync(app.keyFile).mode & 0o777, 0o600);
      const listed = await app.cli(["list"], "authenticator: list");
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(
        listed.stdout,
        new RegExp(`^${app.serial}  alice at ${app.tenant.name}  ${s.url}  ed25519`),
      );
    });

    test("watch receives a sign-in push as a server-sent event: where from, why, and the prompt to type the number", async () => {
      const app = await enrolledApp(s);
      const watcher = startAuthenticator(["--state-dir", app.stateDir, "watch", "--count", "1"]);
      await new Promise((resolve) => watcher.stderr.once("data", resolve));
      const push = await app.signIn();
      const shown = await outputMatching(watcher, /answer: .*\n/);
      const status = await new Promise((resolve) => watcher.on("close", resolve));
      assert.equal(status, 0);
      assert.match(
        shown,
        new RegExp(`^Sign-in request ${push.reference}\\n  for alice at ${app.tenant.name}`),
      );
      assert.match(shown, /location: +Berlin, DE\n/);
      assert.match(shown, /reason: +sign-in to the web shop\n/);
      assert.match(shown, /sourceIp: +127\.0\.0\.1\n/);
      assert.match(shown, /type the number shown on the sign-in screen/);
      assert.match(shown, new RegExp(`approve ${push.reference} --number NN`));
      // The printed command runs as is: the same state directory and device as the watch.
      assert.ok(
        shown.includes(
          `answer: tessera-authenticator --state-dir ${app.stateDir} approve ${push.reference} --number NN --account ${app.serial}`,
        ),
        shown,
      );
      assert.equal(await app.signInStatus(push.id), "pending");
    });

    test("approve with the right number: the sign-in push is approved", async () => {
      const app = await enrolledApp(s);
      const push = await app.signIn();
      const approved = await app.cli(
        ["approve", push.reference, "--number", String(push.numberToMatch)],
        "authenticator: approve",
      );
      assert.equal(approved.status, 0, approved.stderr);
      assert.equal(approved.stdout, `${push.reference} approved\n`);
      assert.equal(await app.signInStatus(push.id), "approved");
      const again = await app.cli(
        ["approve", push.reference, "--number", String(push.numberToMatch)],
        "authenticator: approve twice",
      );
      assert.equal(again.status, 1);
      assert.match(again.stderr, /no pending request/);
    });

    test("approve with a wrong number: the server ends the sign-in push rejected and the CLI exits 1", async () => {
      const app = await enrolledApp(s);
      const push = await app.signIn();
      const wrongNumber = push.numberToMatch === 99 ? 10 : push.numberToMatch + 1;
      const wrong = await app.cli(
        ["approve", push.reference, "--number", String(wrongNumber)],
        "authenticator: wrong number",
      );
      assert.equal(wrong.status, 1);
      assert.equal(wrong.stdout, `${push.reference} rejected\n`);
      assert.match(wrong.stderr, /the number did not match/);
      assert.equal(await app.signInStatus(push.id), "rejected");
    });

    test("approving a sign-in without a terminal needs --number; malformed numbers are usage errors naming it", async () => {
      const app = await enrolledApp(s);
      const push = await app.signIn();
      const missing = await app.cli(["approve", push.reference], "authenticator: no number");
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /--number NN/);
      for (const number of [
        "9",
        "100",
        "042",
        "-42",
        "4.2e1",
        "42.0",
        "2147483648",
        "9007199254740993",
        " 42",
        "x".repeat(10_000),
      ]) {
        const result = await app.cli(
          ["approve", push.reference, "--number", number],
          "authenticator: bad number",
        );
        assert.equal(result.status, 2, `${number.slice(0, 20)}: ${result.stderr}`);
        assert.match(result.stderr, /--number must be the two-digit number/);
      }
      assert.equal(await app.signInStatus(push.id), "pending", "nothing was sent");
    });

    test("a transaction's details are shown exactly, and approve signs exactly them: approved with a valid code", async () => {
      const app = await enrolledApp(s);
      const details = {
        payee: "ACME Ltd",
        amount: "1250.00",
        currency: "EUR",
        iban: "DE89370400440532013000",
        memo: "order 7",
      };
      const reference = await app.transaction(details);
      const approved = await app.cli(["approve", reference], "authenticator: transaction");
      assert.equal(approved.status, 0, approved.stderr);
      // Leading fields first, every extra field after in key order.
      assert.match(
        approved.stderr,
        /details:\n {4}payee: +ACME Ltd\n {4}amount: +1250\.00\n {4}currency: +EUR\n {4}iban: +DE89370400440532013000\n {4}memo: +order 7\n/,
      );
      const view = await app.approval(reference);
      assert.equal(view.status, "approved");
      const key = devicePublicKey(openDeviceMaterial(s.server.ctx, app.device));
      const payload = approvalPayload({
        reference,
        kind: "transaction",
        decision: "approved",
        number: null,
        details,
      });
      assert.ok(
        verifyDeviceSignature(key, "ed25519", payload, String(view.approvalCode)),
        "the code signs exactly these details",
      );
      const withNumber = await app.cli(
        ["approve", await app.transaction(details), "--number", "42"],
        "authenticator: number on a transaction",
      );
      assert.equal(withNumber.status, 2);
    });

    test("control characters in details never reach the terminal: shown escaped, signed as they are", async () => {
      // POST /v1/approvals refuses such details; this request is inserted as a less careful server would.
      const app = await enrolledApp(s);
      const details = { payee: "ACME\u001b[2K Ltd", amount: "1.00", currency: "EUR", note: { ref: 7 } };
      const request = await app.request("transaction", details);
      const approved = await app.cli(["approve", request.reference], "authenticator: escaped details");
      assert.equal(approved.status, 0, approved.stderr);
      assert.match(approved.stderr, /payee: +"ACME\\u001b\[2K Ltd"\n[\s\S]*note: +\{"ref":7\}\n/);
      assert.ok(!approved.stderr.includes("\u001b"), "no escape character reaches the terminal");
      assert.equal((await app.row(request.reference)).status, "approved");
    });

    test("a P-256 device enrols and approves a transaction", async () => {
      const app = await enrolledApp(s, { algorithm: "p256" });
      assert.equal(app.device.algorithm, "p256");
      const reference = await app.transaction({ payee: "Shop", amount: "9.99", currency: "USD" });
      const approved = await app.cli(["approve", reference], "authenticator: p256");
      assert.equal(approved.status, 0, approved.stderr);
      assert.equal((await app.approval(reference)).status, "approved");
    });

    test("deny --fraud rejects the sign-in push and locks further pushes for the user", async () => {
      const app = await enrolledApp(s);
      const push = await app.signIn();
      const denied = await app.cli(["deny", push.reference, "--fraud"], "authenticator: fraud");
      assert.equal(denied.status, 0, denied.stderr);
      assert.equal(denied.stdout, `${push.reference} rejected (reported as fraud)\n`);
      assert.equal(await app.signInStatus(push.id), "rejected");
      const locked = await s.api("POST", "/v1/auth/push", {
        apiKey: app.apiKey,
        body: { username: "alice" },
        scenario: "authenticator: fraud lock",
      });
      assert.equal(locked.body.errorCode, ApiReturnCode.CreateTransactionFailed, JSON.stringify(locked.body));
      assert.match(String(locked.body.errorMessage), /fraud/);
    });

    test("deny of a transaction: rejected, and the reference of another tenant's device is unknown to this one", async () => {
      const app = await enrolledApp(s);
      const other = await enrolledApp(s);
      const foreign = await other.transaction({ payee: "Shop", amount: "5.00", currency: "EUR" });
      const refused = await app.cli(["deny", foreign], "authenticator: another tenant's reference");
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /no pending request/);
      assert.equal((await other.approval(foreign)).status, "pending");
      const denied = await other.cli(["deny", foreign], "authenticator: deny");
      assert.equal(denied.status, 0, denied.stderr);
      assert.equal((await other.approval(foreign)).status, "rejected");
    });

    test("five concurrent approvals of one request: at most one gets through, and only if the request says approved", async () => {
      const app = await enrolledApp(s);
      const reference = await app.transaction({ payee: "Shop", amount: "12.50", currency: "EUR" });
      const results = await Promise.all(
        Array.from({ length: 5 }, () => app.cli(["approve", reference], "authenticator: burst")),
      );
      const done = results.filter((r) => r.status === 0).length;
      assert.ok(done <= 1, results.map((r) => r.stderr).join("\n"));
      assert.ok(
        results.every((r) => r.status === 0 || r.status === 1),
        results.map((r) => r.stderr).join("\n"),
      );
      assert.equal((await app.approval(reference)).status === "approved" ? 1 : 0, done);
    });

    test("a used enrolment link is refused by the server (exit 1, its code named) and nothing is kept", async () => {
      const { url } = await enrolmentLink(s);
      const first = await runAuthenticator(
        ["--state-dir", freshStateDir(), "enrol", url],
        "authenticator: enrol",
      );
      assert.equal(first.status, 0, first.stderr);
      const stateDir = freshStateDir();
      const second = await runAuthenticator(
        ["--state-dir", stateDir, "enrol", url],
        "authenticator: used link",
      );
      assert.equal(second.status, 1);
      assert.match(
        second.stderr,
        new RegExp(`\\[DeviceAlreadyProvisioned ${ApiReturnCode.DeviceAlreadyProvisioned}\\]`),
      );
      const listed = await runAuthenticator(["--state-dir", stateDir, "list"], "authenticator: list");
      assert.equal(listed.stdout, "");
    });
  });
}
