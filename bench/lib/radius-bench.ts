import { randomBytes } from "node:crypto";
import { openServerContext } from "../../packages/server/src/app/server-context.ts";
import { oathCode, timeStep } from "../../packages/server/src/authenticators/oath/oath-code.ts";
import { loadConfig } from "../../packages/server/src/config/load-config.ts";
import { parseClientRange } from "../../packages/server/src/radius/clients/client-address.ts";
import { addRadiusClient } from "../../packages/server/src/radius/clients/client-store.ts";
import { startFreeRadius } from "./freeradius-anchor.ts";
import { seedTotpUsers } from "./otp-fixture.ts";
import { type RadiusLoadFigures, radiusLoad } from "./radius-load.ts";
import { freePort, startServerUnderTest, tessera } from "./server-under-test.ts";

/**
 * Issue #16's benchmark: Access-Requests per second and p99 with N requests outstanding, the same
 * load generator (radius-load.ts) against
 *   - FreeRADIUS from Debian answering PAP from a users file (the established anchor), and
 *   - Tessera's listener answering PAP with password and TOTP code in User-Password
 *     ("password,123456"): an Argon2id verification, a code validation (a compare-and-set on the
 *     token) and the answered-packet cache, every request a different user so that every one is a
 *     full, successful sign-in (codes are single use);
 * and the same sign-in over the HTTP API (POST /v1/auth/password then POST /v1/auth/otp, with the
 * same number in flight), so the RADIUS path's own cost shows next to the API's. Server CPU per
 * answered request is measured for both Tessera paths: unlike req/s it does not move when other
 * work on the machine (the load generator, FreeRADIUS idling) takes CPU away.
 */
export interface RadiusRow {
  readonly implementation: string;
  readonly outstanding: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
  readonly serverCpuMicrosPerRequest: number | null;
}

export interface RadiusFigures {
  readonly rows: RadiusRow[];
  /** Tessera PAP+TOTP req/s over FreeRADIUS PAP req/s, per outstanding count. */
  readonly ratios: Record<string, number>;
}

const SECRET = "k8Vq2rT9xLm4pZ7wNc3bHs6d";
const PASSWORD = "correct horse battery";
const USERS = 5_000;

/** Waits, when the current TOTP step ends within `seconds`, for the next one (codes are per step). */
async function freshStep(seconds: number): Promise<void> {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < seconds + 2) await new Promise((resolve) => setTimeout(resolve, (left + 1) * 1000));
}

export async function benchRadius(options: {
  readonly data: string[];
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly durationSeconds: number;
  readonly outstanding: readonly number[];
}): Promise<RadiusFigures> {
  const rows: RadiusRow[] = [];
  // A tenant of its own: its users and its client (127.0.0.1) touch no other workload's.
  const created = JSON.parse(tessera([...options.data, "tenant", "create", "bench-radius", "--json"])) as {
    apiKey: string;
    tenant: { id: string };
  };
  const tenantId = created.tenant.id;
  const otpSecret = randomBytes(20);
  const ctx = await openServerContext(
    loadConfig({
      env: {},
      flags: { dataDir: options.dataDir, databaseUrl: options.databaseUrl, logLevel: "silent" },
    }),
  );
  let users: string[];
  try {
    users = await seedTotpUsers(ctx, tenantId, USERS, otpSecret);
    const hash = await ctx.passwords.hash(PASSWORD);
    await ctx.database.db
      .updateTable("users")
      .set({ password_hash: hash, password_changed_at: Date.now() })
      .where("tenant_id", "=", tenantId)
      .execute();
    const range = parseClientRange("127.0.0.1");
    if (typeof range === "string") throw new Error(range);
    await addRadiusClient(ctx, tenantId, {
      name: "bench",
      range,
      secret: SECRET,
      requireMessageAuthenticator: true,
    });
  } finally {
    await ctx.close();
  }

  const radiusPort = await freePort();
  const server = await startServerUnderTest(options.data, {
    env: {
      TESSERA_RADIUS_ENABLED: "true",
      TESSERA_RADIUS_HOST: "127.0.0.1",
      TESSERA_RADIUS_PORT: String(radiusPort),
      TESSERA_RADIUS_ACCOUNTING_PORT: "0",
    },
  });
  const freeRadius = await startFreeRadius({
    port: await freePort(),
    secret: SECRET,
    username: "bench",
    password: PASSWORD,
  });
  const headers = { authorization: `Bearer ${created.apiKey}`, "content-type": "application/json" };
  let nextUser = 0;
  const takeUser = () => {
    const user = users[nextUser++];
    if (user === undefined) throw new Error("the bench ran out of users: raise USERS");
    return user;
  };
  const row = (
    implementation: string,
    outstanding: number,
    f: RadiusLoadFigures,
    expected: string,
    cpu: number | null,
  ) => {
    const answered = Object.values(f.answers).reduce((a, b) => a + b, 0);
    const ok = f.answers[expected] ?? 0;
    rows.push({
      implementation,
      outstanding,
      requestsPerSecond: f.requestsPerSecond,
      p50Ms: f.p50Ms,
      p99Ms: f.p99Ms,
      failures: answered - ok + f.timeouts,
      serverCpuMicrosPerRequest: cpu === null || ok === 0 ? null : Math.round((cpu * 1e6) / ok),
    });
  };
  try {
    // Warm-up of both, not reported.
    await radiusLoad({
      host: "127.0.0.1",
      port: freeRadius.port,
      secret: SECRET,
      outstanding: 4,
      durationSeconds: 1,
      requireMessageAuthenticator: false,
      attributes: () => [
        ["User-Name", "bench"],
        ["User-Password", PASSWORD],
      ],
    });
    for (const outstanding of options.outstanding) {
      const anchor = await radiusLoad({
        host: "127.0.0.1",
        port: freeRadius.port,
        secret: SECRET,
        outstanding,
        durationSeconds: options.durationSeconds,
        // Debian's FreeRADIUS 3.2.1 predates the BlastRADIUS fixes: its answers carry none.
        requireMessageAuthenticator: false,
        attributes: () => [
          ["User-Name", "bench"],
          ["User-Password", PASSWORD],
        ],
      });
      row("freeradius PAP", outstanding, anchor, "Access-Accept", null);

      await freshStep(options.durationSeconds);
      const code = oathCode(otpSecret, timeStep(Date.now(), 30), "SHA1", 6);
      const cpuBefore = server.cpuSeconds();
      const tessera = await radiusLoad({
        host: "127.0.0.1",
        port: radiusPort,
        secret: SECRET,
        outstanding,
        durationSeconds: options.durationSeconds,
        requireMessageAuthenticator: true,
        timeoutMs: 10_000,
        attributes: () => [
          ["User-Name", takeUser()],
          ["User-Password", `${PASSWORD},${code}`],
        ],
      });
      row("tessera PAP+TOTP", outstanding, tessera, "Access-Accept", server.cpuSeconds() - cpuBefore);

      await freshStep(options.durationSeconds);
      const httpCode = oathCode(otpSecret, timeStep(Date.now(), 30), "SHA1", 6);
      const http = await httpSignIns(
        server.url,
        headers,
        outstanding,
        options.durationSeconds,
        takeUser,
        httpCode,
        () => server.cpuSeconds(),
      );
      rows.push({ implementation: "tessera HTTP password+otp", outstanding, ...http });
    }
  } finally {
    await freeRadius.stop();
    await server.stop();
  }
  const ratios: Record<string, number> = {};
  for (const outstanding of options.outstanding) {
    const anchor = rows.find((r) => r.implementation === "freeradius PAP" && r.outstanding === outstanding);
    const ours = rows.find((r) => r.implementation === "tessera PAP+TOTP" && r.outstanding === outstanding);
    if (anchor !== undefined && ours !== undefined && anchor.requestsPerSecond > 0)
      ratios[String(outstanding)] =
        Math.round((ours.requestsPerSecond / anchor.requestsPerSecond) * 10_000) / 10_000;
  }
  return { rows, ratios };
}

/** The same sign-in over HTTP: password, then code, `outstanding` sign-ins in flight. */
async function httpSignIns(
  url: string,
  headers: Record<string, string>,
  outstanding: number,
  durationSeconds: number,
  takeUser: () => string,
  code: string,
  cpuSeconds: () => number,
): Promise<Omit<RadiusRow, "implementation" | "outstanding">> {
  const post = async (path: string, body: unknown) =>
    (
      await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) })
    ).json() as Promise<{
      errorCode: number;
    }>;
  const latencies: number[] = [];
  let failures = 0;
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const username = takeUser();
      const at = performance.now();
      const password = await post("/v1/auth/password", { username, password: PASSWORD });
      const otp = password.errorCode === 0 ? await post("/v1/auth/otp", { username, otp: code }) : password;
      if (otp.errorCode === 0) latencies.push(performance.now() - at);
      else failures += 1;
    }
  };
  await Promise.all(Array.from({ length: outstanding }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 100) / 100;
  return {
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
    serverCpuMicrosPerRequest:
      latencies.length === 0 ? null : Math.round(((cpuSeconds() - cpuBefore) * 1e6) / latencies.length),
  };
}
