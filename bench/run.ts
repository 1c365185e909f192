import { argon2, createHash, createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { openServerContext } from "../packages/server/src/app/server-context.ts";
import { oathCode, timeStep } from "../packages/server/src/authenticators/oath/oath-code.ts";
import { loadConfig } from "../packages/server/src/config/load-config.ts";
import { openDatabase } from "../packages/server/src/storage/database.ts";
import { startThrowawayPostgres } from "../scripts/lib/throwaway-postgres.ts";
import { type ApprovalsFigures, benchApprovals } from "./lib/approvals-bench.ts";
import { startBareBaseline } from "./lib/bare-baseline.ts";
import { benchHousekeeping, type HousekeepingFigures } from "./lib/housekeeping-bench.ts";
import { benchIdentityClient, type IdentityClientFigures } from "./lib/identity-client-bench.ts";
import { benchLink, type LinkFigures } from "./lib/link-bench.ts";
import { compareLogLevels, type LogLevelComparison } from "./lib/log-level-bench.ts";
import { load, type Measurement, opsPerSecond } from "./lib/measure.ts";
import { seedTotpUsers } from "./lib/otp-fixture.ts";
import { benchOutOfBand, type OutOfBandRow } from "./lib/out-of-band-bench.ts";
import { benchRadius, type RadiusFigures } from "./lib/radius-bench.ts";
import { freePort, startServerUnderTest, tessera } from "./lib/server-under-test.ts";
import { benchSiteTransport, type TransportFigures } from "./lib/site-transport-bench.ts";
import { benchSso } from "./lib/sso-bench.ts";
import type { SignInFigures } from "./lib/sso-sign-in-bench.ts";
import { benchWebauthn, type WebauthnFigures } from "./lib/webauthn-bench.ts";

/**
 * `npm run bench`: session checks, user look-ups, password validations and TOTP validations against
 * a real server process on SQLite and PostgreSQL, at several concurrencies, next to the raw cost of
 * the primitives (Argon2id at the server's parameters, SHA-256, a TOTP window of three HMAC-SHA1,
 * one database read and write) and a bare baseline of the same session check. Writes
 * bench/results/latest.json and prints a table.
 *
 * Link: full sync jobs per second against the served Sandbox Bank next to the bare connector, and
 * the server memory per job waiting for a second factor.
 *
 * Link I/O: the bounded site transport next to fetch and node:http against one local server
 * (lib/site-transport-bench.ts). Housekeeping: bounded delete batches next to one unbounded DELETE
 * of the same expired sessions, per backend (lib/housekeeping-bench.ts).
 *
 * Log level: session checks with the default log level next to logLevel=warn, in alternating
 * rounds (lib/log-level-bench.ts).
 *
 * SSO: client-credentials and refresh grants/s at a tenant's token endpoint next to a bare
 * oidc-provider on its in-memory adapter (lib/sso-bench.ts), at concurrencies 16 and 32.
 *
 * Identity client: getAccessToken from the shared store in 1 and 20 processes, p50/p99, next to
 * the floor, reading and decrypting the same file with no lock (lib/identity-client-bench.ts).
 *
 * Out-of-band: code sends/s through deliverMessage with local SMTP and SMPP peers, at 1 and 16 at
 * once, p50/p99, next to the bare transport (lib/out-of-band-bench.ts). Approvals: the same sends
 * through POST /v1/auth/challenge and approval round trips over HTTP, next to a bare Ed25519 verify
 * and one write (lib/approvals-bench.ts). WebAuthn: sign-ins through the authentication options and
 * verify routes, next to the bare @simplewebauthn/server verify and one counter write
 * (lib/webauthn-bench.ts).
 *
 * RADIUS: Access-Requests/s and p99 with PAP+TOTP through Tessera's listener next to FreeRADIUS
 * answering PAP from a users file, the same load generator and run, and the same sign-in over the
 * HTTP API (lib/radius-bench.ts), at --radius-outstanding (default 1,16,64) requests in flight.
 *
 * Options: --duration SECONDS (default 5), --concurrency 1,16,32,64, --backends sqlite,postgres,
 * --only core|link|logging|io|housekeeping|sso|identity-client|out-of-band|approvals|webauthn|radius, --log-rounds N (default 3), --link-jobs N (default 500),
 * --link-waiting N (default 10000), --housekeeping-rows N (default 100000), --sso-refresh-tokens N
 * (refresh tokens per concurrency level, default 5000).
 */
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const duration = Number(arg("duration", "5"));
const concurrencies = arg("concurrency", "1,16,32,64").split(",").map(Number);
const selected = arg("backends", "sqlite,postgres").split(",");
const only = arg("only", "");
const linkJobs = Number(arg("link-jobs", "500"));
const linkWaiting = Number(arg("link-waiting", "10000"));
const link: Record<string, LinkFigures> = {};
const housekeepingRows = Number(arg("housekeeping-rows", "100000"));
const housekeeping: Record<string, HousekeepingFigures> = {};
/** Groups that need no server load of the core workloads. */
const narrow = [
  "link",
  "logging",
  "io",
  "housekeeping",
  "sso",
  "identity-client",
  "out-of-band",
  "approvals",
  "webauthn",
  "radius",
].includes(only);
const outOfBand: Record<string, OutOfBandRow[]> = {};
const approvals: Record<string, ApprovalsFigures> = {};
const webauthn: Record<string, WebauthnFigures> = {};
const radius: Record<string, RadiusFigures> = {};
const radiusOutstanding = arg("radius-outstanding", "1,16,64").split(",").map(Number);
let identityClient: IdentityClientFigures | undefined;
const ssoRefreshTokens = Number(arg("sso-refresh-tokens", "5000"));
const signIns: Record<string, SignInFigures> = {};
const transport: TransportFigures | undefined =
  only === "" || only === "io" ? await benchSiteTransport(duration) : undefined;
const logRounds = Number(arg("log-rounds", "3"));
const logLevels: Record<string, Omit<LogLevelComparison, "measurements">> = {};
const argon2Async = promisify(argon2);
const ARGON2 = { memory: 19456, passes: 2, parallelism: 1 };
/** Enough users that no run validates one twice (each is used once per time step). */
const OTP_USERS = 150_000;

const measurements: Measurement[] = [];
const primitives: Record<string, number> = {};
const memory: Record<string, { idleMiB: number; afterLoadMiB: number }> = {};

primitives["argon2id hashes/s (4 parallel, m=19456 t=2 p=1)"] = await opsPerSecond(duration, 4, () =>
  argon2Async("argon2id", {
    message: "correct horse battery",
    nonce: randomBytes(16),
    tagLength: 32,
    ...ARGON2,
  }),
);
primitives["sha256 digests/s"] = await opsPerSecond(1, 1, async () =>
  createHash("sha256").update("tss_x".repeat(9)).digest(),
);
const hmacKey = randomBytes(20);
primitives["totp window (3 HMAC-SHA1)/s"] = await opsPerSecond(1, 1, async () => {
  for (let i = 0; i < 3; i += 1) createHmac("sha1", hmacKey).update(Buffer.alloc(8, i)).digest();
});

const cluster = selected.includes("postgres") && only !== "io" ? await startThrowawayPostgres() : undefined;
try {
  for (const backend of only === "io" ? [] : selected) {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-bench-"));
    let databaseUrl: string | undefined;
    if (backend === "postgres" && cluster !== undefined) {
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query("CREATE DATABASE tessera_bench");
      await admin.end();
      databaseUrl = cluster.url.replace(/\/postgres$/, "/tessera_bench");
    }
    const data = [
      "--data-dir",
      dataDir,
      ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
    ];
    const created = JSON.parse(tessera([...data, "tenant", "create", "bench", "--json"])) as {
      apiKey: string;
      tenant: { id: string };
    };
    const otpSecret = randomBytes(20);
    const seeding = await openServerContext(
      loadConfig({ env: {}, flags: { dataDir, databaseUrl, logLevel: "silent" } }),
    );
    const otpUsers = narrow ? [] : await seedTotpUsers(seeding, created.tenant.id, OTP_USERS, otpSecret);
    if (only === "" || only === "housekeeping")
      housekeeping[backend] = await benchHousekeeping(seeding, created.tenant.id, housekeepingRows);
    await seeding.close();
    if (only === "" || only === "out-of-band")
      outOfBand[backend] = await benchOutOfBand({
        dataDir,
        databaseUrl,
        tenantId: created.tenant.id,
        durationSeconds: duration,
      });

    if (only === "" || only === "approvals")
      approvals[backend] = await benchApprovals({
        data,
        dataDir,
        databaseUrl,
        tenantId: created.tenant.id,
        apiKey: created.apiKey,
        durationSeconds: duration,
      });
    if (only === "" || only === "webauthn")
      webauthn[backend] = await benchWebauthn({
        data,
        dataDir,
        databaseUrl,
        tenantId: created.tenant.id,
        apiKey: created.apiKey,
        durationSeconds: duration,
      });

    if (only === "" || only === "radius")
      radius[backend] = await benchRadius({
        data,
        dataDir,
        databaseUrl,
        durationSeconds: duration,
        outstanding: radiusOutstanding,
      });

    const sandboxPort = await freePort();
    process.env.TESSERA_LINK_SANDBOX = "on";
    process.env.TESSERA_LINK_SANDBOX_PORT = String(sandboxPort);
    process.env.TESSERA_LINK_SYNC_COOLDOWN_SECONDS = "0";
    process.env.TESSERA_LINK_WORKERS = "16";
    const server = await startServerUnderTest(data);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idleMiB = server.rssMiB();
    const headers = { authorization: `Bearer ${created.apiKey}`, "content-type": "application/json" };
    const post = async (path: string, body: unknown) =>
      (
        await fetch(`${server.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) })
      ).json() as Promise<Record<string, unknown>>;
    await post("/v1/users", { username: "bench", password: "correct horse battery" });
    // Password validations spread over as many users as there are connections: concurrent
    // attempts on one account count against its lockout before they are checked (issue #9), so
    // one user under 16 parallel sign-ins would measure the lockout, not the server.
    const passwordUsers = Math.max(...concurrencies);
    for (let i = 0; i < passwordUsers; i += 1)
      await post("/v1/users", { username: `bench-pw-${i}`, password: "correct horse battery" });
    const { sessionToken } = await post("/v1/sessions", {
      username: "bench",
      durationMinutes: 600,
      type: "bench",
    });

    const db = await openDatabase({ dataDir, databaseUrl });
    const bare = await startBareBaseline(db.db);
    primitives[`${backend}: one indexed read/s`] = await opsPerSecond(2, 16, () =>
      db.db
        .selectFrom("users")
        .select("id")
        .where("tenant_id", "=", created.tenant.id)
        .where("username", "=", "bench")
        .executeTakeFirst(),
    );
    let n = 0;
    primitives[`${backend}: one single-row write/s`] = await opsPerSecond(2, 16, () =>
      db.db
        .insertInto("source_failures")
        .values({ source: `bench-${n++}`, failures: 1, window_started_at: 0, locked_until: null })
        .execute(),
    );

    // Warm-up, not reported: the first seconds of a fresh process measure the JIT, not the server.
    await load(
      { workload: "warm-up", backend, implementation: "tessera" },
      { url: `${server.url}/v1/sessions/${sessionToken}`, headers, connections: 16, durationSeconds: 3 },
    );

    let nextOtpUser = 0;
    let nextPasswordUser = 0;
    for (const connections of narrow ? [] : concurrencies) {
      const base = { connections, durationSeconds: duration, serverCpuSeconds: () => server.cpuSeconds() };
      const label = (workload: string, implementation = "tessera") => ({ workload, backend, implementation });
      measurements.push(
        await load(label("session check"), {
          ...base,
          url: `${server.url}/v1/sessions/${sessionToken}`,
          headers,
        }),
      );
      measurements.push(
        await load(label("session check", "bare baseline"), {
          connections,
          durationSeconds: duration,
          url: `${bare.url}/v1/sessions/${sessionToken}`,
        }),
      );
      measurements.push(
        await load(label("user look-up"), { ...base, url: `${server.url}/v1/users/bench`, headers }),
      );
      measurements.push(
        await load(label("password validation"), {
          ...base,
          url: `${server.url}/v1/auth/password`,
          method: "POST",
          headers,
          bodies: () =>
            JSON.stringify({
              username: `bench-pw-${nextPasswordUser++ % passwordUsers}`,
              password: "correct horse battery",
            }),
        }),
      );
      // One-time codes are single use: every request presents the current code of a user that has
      // not been validated yet, so every one of them is a full, successful validation. A run that
      // ran out of users would show as non-2xx answers.
      if ((Date.now() / 1000) % 30 > 30 - duration - 3)
        await new Promise((resolve) => setTimeout(resolve, (31 - ((Date.now() / 1000) % 30)) * 1000));
      const code = oathCode(otpSecret, timeStep(Date.now(), 30), "SHA1", 6);
      measurements.push(
        await load(label("totp validation"), {
          ...base,
          url: `${server.url}/v1/auth/otp`,
          method: "POST",
          headers,
          bodies: () => JSON.stringify({ username: otpUsers[nextOtpUser++], otp: code }),
        }),
      );
    }
    if (only === "" || only === "sso") {
      const figures = await benchSso(server, {
        backend,
        config: loadConfig({ env: {}, flags: { dataDir, databaseUrl, logLevel: "silent" } }),
        tenantId: created.tenant.id,
        username: "bench",
        connections: [16, 32],
        durationSeconds: duration,
        refreshTokens: ssoRefreshTokens,
        apiKey: created.apiKey,
        signIns: 20,
      });
      measurements.push(...figures.measurements);
      signIns[backend] = figures.signIn;
    }
    // The identity client reads its own store: one backend is enough (the server only answers init).
    if ((only === "" || only === "identity-client") && identityClient === undefined) {
      const app = JSON.parse(
        tessera([
          ...data,
          "app",
          "create",
          "--tenant",
          created.tenant.id,
          "--name",
          "bench desktop",
          "--kind",
          "native",
          "--redirect-uri",
          "http://127.0.0.1/callback",
          "--json",
        ]),
      ) as { app: { clientId: string } };
      identityClient = await benchIdentityClient(`${server.url}/oidc/${created.tenant.id}`, app.app.clientId);
    }
    memory[backend] = { idleMiB, afterLoadMiB: server.rssMiB() };
    if (only === "" || only === "link")
      link[backend] = await benchLink(server, created.apiKey, `http://127.0.0.1:${sandboxPort}`, {
        jobs: linkJobs,
        waiting: linkWaiting,
        concurrency: 32,
        db: db.db,
      });
    bare.server.close();
    await server.stop();
    if (only === "" || only === "logging") {
      const compared = await compareLogLevels({
        backend,
        data,
        sessionUrl: (base) => `${base}/v1/sessions/${sessionToken}`,
        headers,
        connections: [16, 32],
        durationSeconds: duration,
        rounds: logRounds,
      });
      const { measurements: rounds, ...summary } = compared;
      measurements.push(...rounds);
      logLevels[backend] = summary;
    }
    await db.close();
  }
} finally {
  cluster?.stop();
}

const report = {
  at: new Date().toISOString(),
  node: process.version,
  durationSeconds: duration,
  primitives,
  memory,
  measurements,
  logLevels,
  link,
  transport,
  housekeeping,
  signIns,
  identityClient,
  outOfBand,
  approvals,
  webauthn,
  radius,
};
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(report, null, 2)}\n`);

console.log("\nPrimitives");
for (const [name, value] of Object.entries(primitives))
  console.log(`  ${name.padEnd(52)} ${String(value).padStart(9)}`);
console.log("\nServer memory (RSS, MiB)");
for (const [backend, m] of Object.entries(memory))
  console.log(`  ${backend.padEnd(10)} idle ${m.idleMiB}  after load ${m.afterLoadMiB}`);
console.log(
  "\nWorkload                 backend    implementation  conc    req/s   p50 ms   p99 ms  errors non-2xx  cpu µs/req",
);
for (const m of measurements) {
  console.log(
    `  ${m.workload.padEnd(22)} ${m.backend.padEnd(10)} ${m.implementation.padEnd(15)} ${String(m.concurrency).padStart(4)} ${String(m.requestsPerSecond).padStart(8)} ${String(m.p50Ms).padStart(8)} ${String(m.p99Ms).padStart(8)} ${String(m.errors).padStart(7)} ${String(m.non2xx).padStart(7)} ${String(m.serverCpuMicrosPerRequest ?? "-").padStart(11)}`,
  );
}
console.log("\nSession checks, default log level (info) against logLevel=warn: medians over the rounds");
for (const [backend, c] of Object.entries(logLevels)) {
  for (const m of c.medians)
    console.log(
      `  ${backend.padEnd(10)} c=${String(m.concurrency).padEnd(3)} ${m.defaultRps} vs ${m.warnRps} req/s (${Math.round((100 * m.defaultRps) / m.warnRps)} %), ${m.defaultCpuMicros} vs ${m.warnCpuMicros} µs CPU per request (+${Math.round((100 * (m.defaultCpuMicros - m.warnCpuMicros)) / m.warnCpuMicros)} %)`,
    );
  console.log(`  ${backend.padEnd(10)} ${c.logBytesPerRequest ?? "-"} bytes of log per request`);
}
console.log("\nLink (sync jobs against the served Sandbox Bank, 32 clients)");
for (const [backend, f] of Object.entries(link))
  console.log(
    `  ${backend.padEnd(10)} ${f.syncJobsPerSecond} sync jobs/s (bare connector, no engine: ${f.bareConnectorSyncsPerSecond}/s); ${f.waitingJobs} waiting jobs: RSS ${f.rssBeforeWaitingMiB} -> ${f.rssWithWaitingMiB} MiB, ${f.kibPerWaitingJob} KiB each`,
  );
if (transport !== undefined) {
  console.log(
    `\nSite HTTP clients (${transport.bodyBytes} B answers, ${transport.concurrency} at once, local server)`,
  );
  for (const [client, rps] of Object.entries(transport.requestsPerSecond))
    console.log(`  ${client.padEnd(28)} ${String(rps).padStart(7)} req/s`);
}
console.log("\nHousekeeping (expired sessions: bounded batches against one DELETE)");
for (const [backend, h] of Object.entries(housekeeping))
  console.log(
    `  ${backend.padEnd(10)} ${h.rows} rows, batches of ${h.batchSize}: ${h.batched.rowsPerSecond} rows/s, longest statement ${h.batched.longestStatementMs} ms; one DELETE: ${h.singleDelete.rowsPerSecond} rows/s, ${h.singleDelete.longestStatementMs} ms`,
  );
console.log("\nSSO sign-in through the pages (one at a time, medians; Argon2id alone beside it)");
for (const [backend, f] of Object.entries(signIns)) {
  console.log(
    `  ${backend.padEnd(10)} ${f.signIns} sign-ins: ${f.medianTotalMs} ms in all; one Argon2id ${f.argon2idMs} ms`,
  );
  for (const step of f.steps)
    console.log(`    ${step.step.padEnd(40)} ${String(step.medianMs).padStart(8)} ms`);
}
if (identityClient !== undefined) {
  console.log(
    "\nIdentity client: getAccessToken from the shared store, next to reading and decrypting it alone",
  );
  for (const row of identityClient.rows)
    console.log(
      `  ${row.implementation.padEnd(24)} ${String(row.processes).padStart(2)} processes  ${String(row.calls).padStart(7)} calls  p50 ${String(row.p50Micros).padStart(6)} µs  p99 ${String(row.p99Micros).padStart(6)} µs`,
    );
}
console.log("\nOut-of-band code sends (local SMTP and SMPP peers)");
for (const [backend, rows] of Object.entries(outOfBand))
  for (const r of rows)
    console.log(
      `  ${backend.padEnd(10)} ${r.transport.padEnd(5)} ${r.implementation.padEnd(15)} c=${String(r.concurrency).padEnd(3)} ${String(r.sendsPerSecond).padStart(7)} sends/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`,
    );
console.log(
  "\nOver HTTP: codes sent through POST /v1/auth/challenge, approval round trips; the floor under them",
);
for (const [backend, figures] of Object.entries(approvals)) {
  for (const r of figures.rows)
    console.log(
      `  ${backend.padEnd(10)} ${r.workload.padEnd(52)} c=${String(r.concurrency).padEnd(3)} ${String(r.perSecond).padStart(6)}/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`,
    );
  for (const [name, value] of Object.entries(figures.floor))
    console.log(`  ${backend.padEnd(10)} floor: ${name.padEnd(45)} ${String(value).padStart(8)}`);
}
console.log("\nWebAuthn sign-ins over HTTP (options, soft authenticator, verify); the floor under them");
for (const [backend, figures] of Object.entries(webauthn)) {
  for (const r of figures.rows)
    console.log(
      `  ${backend.padEnd(10)} c=${String(r.concurrency).padEnd(3)} ${String(r.verificationsPerSecond).padStart(6)} verifications/s  verify p50 ${r.verifyP50Ms} ms  p99 ${r.verifyP99Ms} ms  round trip p50 ${r.roundTripP50Ms} ms  p99 ${r.roundTripP99Ms} ms`,
    );
  for (const [name, value] of Object.entries(figures.floor))
    console.log(`  ${backend.padEnd(10)} floor: ${name.padEnd(45)} ${String(value).padStart(8)}`);
}
console.log("\nwritten to bench/results/latest.json");
console.log(
  "\nRADIUS Access-Requests (same load generator; Tessera PAP+TOTP next to FreeRADIUS PAP from a users file)",
);
for (const [backend, figures] of Object.entries(radius)) {
  for (const r of figures.rows)
    console.log(
      `  ${backend.padEnd(10)} ${r.implementation.padEnd(27)} n=${String(r.outstanding).padEnd(3)} ${String(r.requestsPerSecond).padStart(7)}/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  failures ${r.failures}  cpu µs/req ${r.serverCpuMicrosPerRequest ?? "-"}`,
    );
  for (const [outstanding, ratio] of Object.entries(figures.ratios))
    console.log(`  ${backend.padEnd(10)} ratio tessera/freeradius at n=${outstanding}: ${ratio}`);
}
