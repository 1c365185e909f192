import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { ManualClock } from "../../server/src/clock/clock.ts";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.ts";
import { StateStore } from "../src/state/state-store.ts";
import { enrolledApp } from "./helpers/enrolled-app.ts";
import {
  freshStateDir,
  outputMatching,
  runAuthenticator,
  runAuthenticatorInPty,
  startAuthenticator,
} from "./helpers/run-authenticator.ts";

const allocator = new URL("./helpers/allocate-timestamps.ts", import.meta.url).pathname;

suite("tessera-authenticator's state directory and key files", () => {
  let s: TestServer;
  before(async () => {
    // The app signs with the real time; the server's manual clock starts there (±5 minutes window).
    s = await startTestServer("sqlite", { clock: new ManualClock(Date.now()) });
  });
  after(() => s.close());

  test("a group-readable key file is refused with the fix to make, not used and not repaired", async () => {
    const app = await enrolledApp(s);
    const request = await app.request("transaction");
    chmodSync(app.keyFile, 0o640);
    for (const args of [["list"], ["approve", request.reference], ["watch"]]) {
      const result = await app.cli(args, "authenticator: open key file");
      assert.equal(result.status, 3, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, /readable by group or others \(mode 0640\); run: chmod 600 /);
    }
    assert.equal(statSync(app.keyFile).mode & 0o777, 0o640, "left as found");
    assert.equal((await app.row(request.reference)).status, "pending");
    chmodSync(app.keyFile, 0o600);
    const approved = await app.cli(["approve", request.reference], "authenticator: key file fixed");
    assert.equal(approved.status, 0, approved.stderr);
  });

  test("a state directory open to group or others is refused, also before enrolling (the link stays unused)", async () => {
    const app = await enrolledApp(s);
    chmodSync(app.stateDir, 0o755);
    const listed = await app.cli(["list"], "authenticator: open state dir");
    assert.equal(listed.status, 3);
    assert.match(listed.stderr, /open to group or others \(mode 0755\); run: chmod 700 /);
    const open = freshStateDir();
    mkdirSync(open, { mode: 0o750 });
    chmodSync(open, 0o750);
    const enrolment = await s.api("POST", "/v1/users/alice/push-enrolments", {
      apiKey: app.apiKey,
      scenario: "authenticator: enrolment link",
    });
    const link = String(enrolment.body.enrolmentUrl);
    const refused = await runAuthenticator(
      ["--state-dir", open, "enrol", link],
      "authenticator: open state dir",
    );
    assert.equal(refused.status, 3, refused.stderr);
    const fine = await runAuthenticator(
      ["--state-dir", freshStateDir(), "enrol", link],
      "authenticator: enrol",
    );
    assert.equal(fine.status, 0, fine.stderr);
  });

  test("a key file that is not an account, or holds another serial, is refused", async () => {
    const app = await enrolledApp(s);
    const other = join(app.stateDir, "PUSH0000000000.json");
    copyFileSync(app.keyFile, other);
    chmodSync(other, 0o600);
    const renamed = await app.cli(["list"], "authenticator: wrong serial");
    assert.equal(renamed.status, 3);
    assert.match(renamed.stderr, /holds another serial/);
    writeFileSync(other, "{not json", { mode: 0o600 });
    const broken = await app.cli(["list"], "authenticator: broken key file");
    assert.equal(broken.status, 3);
    assert.match(broken.stderr, /is not JSON/);
  });

  test("a serial that is not a plain name is never a file name", async () => {
    const store = new StateStore(freshStateDir());
    const account = JSON.parse(readFileSync((await enrolledApp(s)).keyFile, "utf8"));
    for (const serial of ["../escape", "a/b", "", ".", "x".repeat(65)])
      await assert.rejects(store.save({ ...account, serial }), /refusing to store serial/);
    assert.deepEqual(await store.accounts(), []);
  });

  test("commands sharing a key file never send the same timestamp, and a lock left by a crash is taken over", async () => {
    const app = await enrolledApp(s);
    const allocate = (count: number) =>
      new Promise<string[]>((resolve, reject) => {
        execFile(process.execPath, [allocator, app.stateDir, String(count)], (error, stdout) =>
          error ? reject(error) : resolve(stdout.trim().split("\n")),
        );
      });
    // Six processes picking 25 timestamps each, all within the same few milliseconds: without
    // the lock, two of them read the same last timestamp and send the same next one.
    const picked = (await Promise.all(Array.from({ length: 6 }, () => allocate(25)))).flat();
    assert.equal(picked.length, 150);
    assert.equal(new Set(picked).size, 150, "every timestamp once");
    const saved = JSON.parse(readFileSync(app.keyFile, "utf8")) as { lastTimestamp: number };
    assert.equal(saved.lastTimestamp, Math.max(...picked.map(Number)), "the last one is remembered");
    // A command killed while holding the lock leaves the file behind; once it is older than any
    // holder can be, the next command takes it over instead of waiting for ever.
    const lock = `${app.keyFile}.lock`;
    writeFileSync(lock, "");
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, longAgo, longAgo);
    const after = await allocate(1);
    assert.equal(Number(after[0]) > saved.lastTimestamp, true);
    assert.equal(existsSync(lock), false, "the lock is given back");
  });

  test("several devices need --account; an unknown one or none enrolled is a state error", async () => {
    const app = await enrolledApp(s);
    const second = await enrolledApp(s);
    copyFileSync(second.keyFile, join(app.stateDir, `${second.serial}.json`));
    const request = await second.request("transaction");
    const ambiguous = await app.cli(["approve", request.reference], "authenticator: several");
    assert.equal(ambiguous.status, 2);
    assert.match(ambiguous.stderr, /choose one with --account <serial>/);
    const unknown = await app.cli(
      ["approve", request.reference, "--account", "PUSH0000000000"],
      "authenticator: unknown",
    );
    assert.equal(unknown.status, 3);
    const chosen = await app.cli(
      ["approve", request.reference, "--account", second.serial],
      "authenticator: chosen",
    );
    assert.equal(chosen.status, 0, chosen.stderr);
    const nothing = await runAuthenticator(
      ["--state-dir", freshStateDir(), "watch"],
      "authenticator: nothing",
    );
    assert.equal(nothing.status, 3);
    assert.match(nothing.stderr, /nothing is enrolled .*: run tessera-authenticator enrol/);
  });
});

suite("tessera-authenticator's list and watch against the server", () => {
  let s: TestServer;
  before(async () => {
    // As above: the server's clock starts at the real time the app signs with.
    s = await startTestServer("sqlite", { clock: new ManualClock(Date.now()) });
  });
  after(() => s.close());

  test("list --pending shows each device's pending requests; plain list needs no server", async () => {
    const app = await enrolledApp(s);
    const empty = await app.cli(["list", "--pending"], "authenticator: list pending");
    assert.equal(empty.status, 0, empty.stderr);
    assert.match(empty.stdout, /\n {2}no pending requests\n$/);
    const request = await app.request("transaction");
    const pending = await app.cli(["list", "--pending"], "authenticator: list pending");
    assert.match(
      pending.stdout,
      new RegExp(`\\n  Transaction ${request.reference}\\n[\\s\\S]*payee: +Shop\\n`),
    );
    await s.server.close();
    const offline = await app.cli(["list"], "authenticator: list offline");
    assert.equal(offline.status, 0, offline.stderr);
    assert.match(offline.stdout, new RegExp(`^${app.serial}  alice`));
    const unreachable = await app.cli(["list", "--pending"], "authenticator: list pending offline");
    assert.equal(unreachable.status, 4, unreachable.stderr);
  });
});

suite("tessera-authenticator's watch refused by the server", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer("sqlite", { clock: new ManualClock(Date.now()) });
  });
  after(() => s.close());

  test("a watch the server refuses (all of the device's streams taken) ends with exit 1 and the code", async () => {
    const app = await enrolledApp(s);
    await app.request("transaction");
    // One after the other: processes sharing a key file pick their Tessera-Timestamp from it, and
    // two starting in the same millisecond can pick the same one (the second is then a replay).
    const watchers: ReturnType<typeof startAuthenticator>[] = [];
    try {
      // Connected once each has shown the pending request (push.maxStreamsPerDevice is 2).
      for (let i = 0; i < 2; i += 1) {
        const watcher = startAuthenticator(["--state-dir", app.stateDir, "watch"]);
        watchers.push(watcher);
        await outputMatching(watcher, /answer: /);
      }
      const third = await app.cli(["watch"], "authenticator: too many streams");
      assert.equal(third.status, 1, third.stderr);
      assert.match(third.stderr, new RegExp(`\\[RateLimited ${TesseraApiCode.RateLimited}\\]`));
    } finally {
      for (const watcher of watchers) watcher.kill();
    }
  });
});

suite("tessera-authenticator's watch when the server goes", () => {
  test("a stream the server closes does not end the watch: it reconnects, and keeps retrying while nobody answers", async () => {
    const s = await startTestServer("sqlite", { clock: new ManualClock(Date.now()) });
    const app = await enrolledApp(s);
    await app.request("transaction");
    const watcher = startAuthenticator(["--state-dir", app.stateDir, "watch"]);
    let stderr = "";
    watcher.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    try {
      await outputMatching(watcher, /answer: /);
      await s.close();
      // Waits after the first failures: 1 s before reconnecting, then 2 s and 4 s after each refused connect.
      const retried =
        /reconnecting\.\n[\s\S]*ECONNREFUSED; retrying in 2 s\.\n[\s\S]*ECONNREFUSED; retrying in 4 s\.\n/;
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 30_000;
        const check = setInterval(() => {
          if (retried.test(stderr) || Date.now() > deadline) {
            clearInterval(check);
            resolve();
          }
        }, 50);
        watcher.once("close", (status) => {
          clearInterval(check);
          reject(new Error(`watch ended (${status}): ${stderr}`));
        });
      });
      assert.match(stderr, retried);
      assert.match(stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
      assert.equal(watcher.exitCode, null, "still watching");
    } finally {
      watcher.kill();
    }
  });
});

suite("tessera-authenticator at a terminal", () => {
  let s: TestServer;
  before(async () => {
    // As above: the server's clock starts at the real time the app signs with.
    s = await startTestServer("sqlite", { clock: new ManualClock(Date.now()) });
  });
  after(() => s.close());

  test("watch asks for the number of a sign-in and approves with it", async () => {
    const app = await enrolledApp(s);
    const request = await app.request("sign-in");
    const run = await runAuthenticatorInPty(
      ["--state-dir", app.stateDir, "watch", "--count", "1"],
      [["Type the number on the sign-in screen to approve", "42\r"]],
      "authenticator: watch at a terminal",
    );
    assert.equal(run.pending, 0, run.output);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, new RegExp(`${request.reference} approved`));
    assert.equal((await app.row(request.reference)).status, "approved");
  });

  test("approve asks again after showing a transaction; anything but yes leaves it pending", async () => {
    const app = await enrolledApp(s);
    const request = await app.request("transaction");
    const args = ["--state-dir", app.stateDir, "approve", request.reference];
    const declined = await runAuthenticatorInPty(
      args,
      [["Approve exactly this\\? \\[y/N\\]", "n\r"]],
      "authenticator: declined",
    );
    assert.equal(declined.pending, 0, declined.output);
    assert.match(declined.output, /payee: +Shop[\s\S]*Not answered/);
    assert.equal((await app.row(request.reference)).status, "pending");
    const confirmed = await runAuthenticatorInPty(
      args,
      [["Approve exactly this\\? \\[y/N\\]", "y\r"]],
      "authenticator: confirmed",
    );
    assert.equal(confirmed.status, 0, confirmed.output);
    assert.equal((await app.row(request.reference)).status, "approved");
  });
});

suite("tessera-authenticator's command line", () => {
  test("usage errors exit 2: unknown command or option, bad link, plain http to a non-loopback host, bad counts", async () => {
    const stateDir = freshStateDir();
    const cases = [
      ["frobnicate"],
      ["list", "--bogus"],
      ["enrol"],
      ["enrol", "not a url"],
      ["enrol", "https://example.test/v1/users"],
      ["enrol", "http://192.0.2.1/app/v1/enrolments/abc"],
      ["enrol", "https://example.test/app/v1/enrolments/abc?x=1"],
      ["enrol", "https://example.test/app/v1/enrolments/abc", "--algorithm", "rsa"],
      ["approve", "../../v1/users"],
      ["deny", "x".repeat(65)],
      ...["0", "-1", "1.5", "2147483648", "9007199254740993", "abc"].map((n) => ["watch", "--count", n]),
    ];
    for (const args of cases) {
      const result = await runAuthenticator(["--state-dir", stateDir, ...args], "authenticator: usage");
      assert.equal(result.status, 2, `${args.join(" ").slice(0, 60)}: ${result.stderr}`);
      assert.notEqual(result.stderr, "");
    }
    const help = await runAuthenticator(["--help"], "authenticator: help");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: tessera-authenticator /);
  });

  test("a server nobody answers is exit 4", async () => {
    // A loopback port that was free a moment ago: connecting to it is refused.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
      });
    });
    const stateDir = freshStateDir();
    const result = await runAuthenticator(
      ["--state-dir", stateDir, "enrol", `http://127.0.0.1:${port}/app/v1/enrolments/abc`],
      "authenticator: unreachable",
    );
    assert.equal(result.status, 4, result.stderr);
    assert.match(result.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });
});
