import { generateKeyPairSync, sign, verify } from "node:crypto";
import { openServerContext } from "../../packages/server/src/app/server-context.ts";
import { approvalPayload } from "../../packages/server/src/approvals/approval-payload.ts";
import { insertSealedAuthenticator } from "../../packages/server/src/authenticators/authenticator-secret.ts";
import { loadConfig } from "../../packages/server/src/config/load-config.ts";
import { ownerOf, SoftwareDevice } from "../../packages/server/test/helpers/approval-device.ts";
import { startSmppGateway } from "../../packages/server/test/helpers/smpp-gateway.ts";
import { startSmtpSink } from "../../packages/server/test/helpers/smtp-sink.ts";
import { opsPerSecond } from "./measure.ts";
import { startServerUnderTest } from "./server-under-test.ts";

/**
 * Issue #14 over HTTP against a real `tessera start` process: code sends per second through
 * POST /v1/auth/challenge (e-mail to a local SMTP sink, SMS to a local SMPP gateway), and approval
 * round trips per second (POST /v1/approvals, the device signs the details, POST
 * /v1/approvals/{reference}/status, final), each at concurrency 1 and 16 with p50/p99. Next to
 * them the floor: a bare Ed25519 sign + verify, and one single-row write on the same database.
 * Calls take turns over 64 users, so no user's own caps (anti-pumping, pending approvals) are
 * measured; the anti-pumping limits are raised for the bench's process, which is one source.
 */
export interface ApprovalsRow {
  readonly workload: string;
  readonly concurrency: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ApprovalsFigures {
  readonly rows: ApprovalsRow[];
  readonly floor: Record<string, number>;
}

const WORKERS = 16;
/** Users the workers take turns with, so no user's own per-15-minute cap is reached. */
const USERS = 64;
const details = { amount: "249.90", currency: "EUR", payee: "ACME Furniture GmbH" };
const credentials = { systemId: "bench", password: "bench" };

export async function benchApprovals(options: {
  readonly data: string[];
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly tenantId: string;
  readonly apiKey: string;
  readonly durationSeconds: number;
}): Promise<ApprovalsFigures> {
  const sink = await startSmtpSink();
  const gateway = await startSmppGateway(credentials);
  const server = await startServerUnderTest(options.data, {
    env: {
      TESSERA_SMTP_HOST: "127.0.0.1",
      TESSERA_SMTP_PORT: String(sink.port),
      TESSERA_OUT_OF_BAND_SMS_TRANSPORT: "smpp",
      TESSERA_SMPP_URL: gateway.url,
      TESSERA_SMPP_SYSTEM_ID: credentials.systemId,
      TESSERA_SMPP_PASSWORD: credentials.password,
      TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_USER: "1000",
      TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_DESTINATION: "1000",
      TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_DESTINATION_PER_DAY: "10000",
      TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_SOURCE: "1000000",
      TESSERA_RATE_LIMIT_OUT_OF_BAND_PER_COUNTRY: "1000000",
    },
  });
  const ctx = await openServerContext(
    loadConfig({
      env: {},
      flags: { dataDir: options.dataDir, databaseUrl: options.databaseUrl, logLevel: "silent" },
    }),
  );
  const headers = { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const rows: ApprovalsRow[] = [];
  try {
    await call("PATCH", "/v1/tenant", { challengeCountries: ["US"] });
    const devices: { username: string; device: SoftwareDevice }[] = [];
    for (let i = 0; i < USERS; i += 1) {
      const username = `bench-oob-${i}`;
      await call("POST", "/v1/users", { username });
      const owner = await ownerOf(ctx, options.tenantId, username);
      // Verified devices seeded directly: binding one means reading its code from the peer, which
      // is the tests' business; the bench measures sending and answering.
      for (const [type, destination] of [
        ["email", `${username}@example.test`],
        ["sms", `+1415555${2600 + i}`],
      ] as const)
        await insertSealedAuthenticator(
          ctx,
          {
            tenant_id: options.tenantId,
            serial: `BENCH-${type.toUpperCase()}-${i}`,
            type,
            user_id: owner.userId,
            algorithm: "none",
            digits: 6,
            period: null,
            seed_revealed: 0,
          },
          Buffer.from(destination, "utf8"),
          ctx.clock.now(),
        );
      devices.push({ username, device: await new SoftwareDevice("ed25519").enrol(ctx, owner) });
    }
    let turn = 0;
    const next = () => {
      const index = turn++ % USERS;
      return { index, ...(devices[index] as (typeof devices)[number]) };
    };
    const send = (method: "email" | "sms") => async () => {
      const { index, username } = next();
      await call("POST", "/v1/auth/challenge", {
        username,
        serial: `BENCH-${method.toUpperCase()}-${index}`,
      });
    };
    const roundTrip = async () => {
      const { username, device } = next();
      const created = await call("POST", "/v1/approvals", { username, details });
      const reference = String(created.reference);
      const approved = await call("POST", `/v1/approvals/${reference}/status`, {
        status: "approved",
        approvalCode: device.approve(reference, details),
      });
      if (approved.status !== "approved") throw new Error(`not approved: ${JSON.stringify(approved)}`);
    };
    const workloads = [
      ["code sent by e-mail (POST /v1/auth/challenge, SMTP)", send("email")],
      ["code sent by SMS (POST /v1/auth/challenge, SMPP)", send("sms")],
      ["approval round trip (create, sign, answer)", roundTrip],
    ] as const;
    for (const [workload, op] of workloads)
      for (const concurrency of [1, WORKERS]) {
        await timed(op, concurrency, 1); // warm-up, not reported
        const latencies = await timed(op, concurrency, options.durationSeconds);
        rows.push({ workload, concurrency, ...summary(latencies, options.durationSeconds) });
      }

    const pair = generateKeyPairSync("ed25519");
    const payload = approvalPayload({
      reference: "0123456789ABCDEF",
      kind: "transaction",
      decision: "approved",
      number: null,
      details,
    });
    const signature = sign(null, payload, pair.privateKey);
    let n = 0;
    const floor = {
      "Ed25519 verify of an approval payload/s": await opsPerSecond(2, 1, async () =>
        verify(null, payload, pair.publicKey, signature),
      ),
      "one single-row write/s (16 parallel)": await opsPerSecond(2, 16, () =>
        ctx.database.db
          .insertInto("source_failures")
          .values({ source: `bench-approvals-${n++}`, failures: 1, window_started_at: 0, locked_until: null })
          .execute(),
      ),
    };
    return { rows, floor };
  } finally {
    await ctx.close();
    await server.stop();
    await gateway.close();
    await sink.close();
  }
}

/** `concurrency` workers calling `op` until the time is up; the latency of each call in ms. */
async function timed(op: () => Promise<void>, concurrency: number, seconds: number) {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        await op();
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

function summary(latencies: number[], seconds: number): Omit<ApprovalsRow, "workload" | "concurrency"> {
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latencies[Math.floor(q * (latencies.length - 1))] ?? 0) * 100) / 100;
  return { perSecond: Math.round(latencies.length / seconds), p50Ms: at(0.5), p99Ms: at(0.99) };
}
