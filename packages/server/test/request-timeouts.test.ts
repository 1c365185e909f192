import assert from "node:assert/strict";
import { once } from "node:events";
import { type Socket, connect as tcpConnect } from "node:net";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { connect, endsWith, type LinkSetup, startLinkServer, waitFor } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer } from "./helpers/test-server.ts";

/**
 * Slow clients over raw TCP: one that trickles its headers or its body never finishes, so only the
 * server's timeouts can end it. Production waits 10 s for headers and 30 s for a request; these
 * servers use a fraction of a second so that the test is quick. No assertion is about timing: a
 * connection is either closed by the server or the test fails after its safety deadline.
 */
const flags = {
  "http.headersTimeoutMs": 300,
  "http.requestTimeoutMs": 600,
  // The smallest idle timeout allowed, so that a quiet event stream must outlive it.
  "http.idleTimeoutMs": 1000,
};

interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  text(): string;
  /** Resolves once the server closed the connection; fails the test after `deadlineMs`. */
  closed(deadlineMs?: number): Promise<void>;
  /** Resolves once the received text satisfies the predicate; fails if the connection closes first or after 10 s. */
  until(predicate: (text: string) => boolean, what: string): Promise<void>;
}

function rawConnection(url: string): RawConnection {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  let received = "";
  let ended = false;
  const waiters = new Set<() => void>();
  socket.setEncoding("utf8");
  // A reset while the client still writes is also the server cutting the connection.
  socket.on("error", () => {});
  socket.on("data", (chunk: string) => {
    received += chunk;
    for (const wake of waiters) wake();
  });
  socket.on("close", () => {
    ended = true;
    for (const wake of waiters) wake();
  });
  return {
    socket,
    text: () => received,
    async closed(deadlineMs = 10_000) {
      if (ended) return;
      let cutByTest = false;
      const deadline = setTimeout(() => {
        cutByTest = true;
        socket.destroy();
      }, deadlineMs);
      await once(socket, "close");
      clearTimeout(deadline);
      assert.ok(!cutByTest, `the server never closed the slow connection; received: ${received}`);
    },
    async until(predicate, what) {
      const deadline = Date.now() + 10_000;
      while (!predicate(received)) {
        assert.ok(!ended, `the connection closed before ${what}; received: ${received}`);
        assert.ok(Date.now() < deadline, `no ${what} within 10 s; received: ${received}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, 500);
          waiters.add(wake);
        });
      }
    },
  };
}

/** Writes the pieces one by one until the server closes the connection or they run out. */
function trickle(connection: RawConnection, pieces: string[], everyMs: number): () => void {
  let next = 0;
  const timer = setInterval(() => {
    const piece = pieces[next];
    if (piece === undefined || connection.socket.destroyed) return clearInterval(timer);
    connection.socket.write(piece);
    next += 1;
  }, everyMs);
  return () => clearInterval(timer);
}

/** The 408 answer: status line and envelope; the code is recorded for the coverage report. */
function assertRequestTimeout(text: string, scenario: string): void {
  assert.match(text, /^HTTP\/1\.1 408 /, text);
  const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as {
    errorCode: number;
    errorName: string;
  };
  recordObservedCode("api", body.errorCode, scenario);
  assert.equal(body.errorCode, TesseraApiCode.RequestTimeout);
  assert.equal(body.errorName, "RequestTimeout");
}

const slowHeaders = Array.from({ length: 400 }, (_, i) => `x-slow-${i}: still coming\r\n`);

for (const backend of backends) {
  suite(`request timeouts (${backend})`, () => {
    let link: LinkSetup;
    before(async () => {
      link = await startLinkServer(backend, flags);
    });
    after(() => link.server.close());

    test("20 clients sending headers slower than http.headersTimeoutMs: each 408 and closed, /health answers", async () => {
      const scenario = "http: headers too slow";
      const slow = Array.from({ length: 20 }, () => rawConnection(link.server.url));
      const stops = slow.map((c) =>
        trickle(c, ["GET /health HTTP/1.1\r\n", "host: tessera\r\n", ...slowHeaders], 25),
      );
      try {
        const health = await link.server.api("GET", "/health", { scenario });
        assert.equal(health.status, 200);
        await Promise.all(slow.map((c) => c.closed()));
      } finally {
        for (const stop of stops) stop();
      }
      for (const c of slow) assertRequestTimeout(c.text(), scenario);
    });

    test("a body sent slower than http.requestTimeoutMs: 408 and closed, while /health keeps answering", async () => {
      const scenario = "http: body too slow";
      const slow = rawConnection(link.server.url);
      const head = [
        "POST /v1/users HTTP/1.1",
        "host: tessera",
        `authorization: Bearer ${link.apiKey}`,
        "content-type: application/json",
        "content-length: 60000",
        "",
        '{"username":"',
      ].join("\r\n");
      const stop = trickle(slow, [head, ...Array.from({ length: 400 }, () => "a")], 25);
      try {
        const health = await link.server.api("GET", "/health", { scenario });
        assert.equal(health.status, 200);
        await slow.closed();
      } finally {
        stop();
      }
      assertRequestTimeout(slow.text(), scenario);
    });

    test("a silent connection that never sends a request is closed", async () => {
      const silent = rawConnection(link.server.url);
      await silent.closed();
    });

    test("a Link event stream outlives the request and idle timeouts, then carries on", async () => {
      const scenario = "http: event stream stays open";
      const { jobId } = await connect(link, "user_token", scenario);
      await waitFor(link, jobId, scenario, endsWith(S.Waiting));
      const stream = rawConnection(link.server.url);
      stream.socket.write(
        `GET /v1/link/jobs/${jobId}/events HTTP/1.1\r\nhost: tessera\r\nauthorization: Bearer ${link.apiKey}\r\n\r\n`,
      );
      await stream.until((t) => t.includes('"code":410'), "the Waiting entry");
      // Three heartbeats are more than the idle timeout (they come every half of it) and more than
      // the request timeout: a stream cut by either would have closed before them.
      const heartbeats = (t: string) => t.split(": heartbeat").length - 1;
      await stream.until((t) => heartbeats(t) >= 3, "three heartbeats");
      const answered = await link.server.api("POST", `/v1/link/jobs/${jobId}/twofa`, {
        apiKey: link.apiKey,
        body: { twofa: { token: "123456" } },
        scenario,
      });
      assert.equal(answered.body.errorCode, 0);
      await stream.until((t) => t.includes("event: end"), "the end of the job");
      assert.match(stream.text(), /^HTTP\/1\.1 200 /);
      assert.match(stream.text(), new RegExp(`"code":${S.TokenReceived}`));
      stream.socket.destroy();
    });
  });

  test(`the production defaults reach the HTTP server (${backend})`, async () => {
    const server = await startTestServer(backend);
    try {
      const http = server.server.app.server;
      assert.equal(http.headersTimeout, 10_000);
      assert.equal(http.requestTimeout, 30_000);
      assert.equal(http.keepAliveTimeout, 72_000);
      assert.equal(http.timeout, 120_000);
    } finally {
      await server.close();
    }
  });
}
