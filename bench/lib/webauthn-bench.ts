import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import { openServerContext } from "../../packages/server/src/app/server-context.ts";
import { loadConfig } from "../../packages/server/src/config/load-config.ts";
import { findUser } from "../../packages/server/src/users/user-store.ts";
import { SoftAuthenticator } from "../../packages/server/test/helpers/soft-authenticator.ts";
import { storeSoftKey } from "../../packages/server/test/helpers/webauthn-credentials.ts";
import { opsPerSecond } from "./measure.ts";
import { startServerUnderTest } from "./server-under-test.ts";

/**
 * Issue #15 over HTTP against a real `tessera start` process: WebAuthn sign-ins per second (POST
 * /v1/webauthn/authentication/options, the software authenticator signs, POST .../verify), with
 * p50/p99 of the verify call and of the whole round trip, at concurrency 1 and 16. Each worker
 * has users of its own and signs in with them in turn: two assertions of one key at once would
 * race its counter, and the loser is refused as a possible clone (as it must be), which would
 * measure the refusal. Next to them the floor: the bare @simplewebauthn/server
 * verifyAuthenticationResponse of one assertion, and one counter write on the same database.
 */
export interface WebauthnRow {
  readonly concurrency: number;
  readonly verificationsPerSecond: number;
  readonly verifyP50Ms: number;
  readonly verifyP99Ms: number;
  readonly roundTripP50Ms: number;
  readonly roundTripP99Ms: number;
}

export interface WebauthnFigures {
  readonly rows: WebauthnRow[];
  readonly floor: Record<string, number>;
}

const WORKERS = 16;
const USERS_PER_WORKER = 4;

export async function benchWebauthn(options: {
  readonly data: string[];
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly tenantId: string;
  readonly apiKey: string;
  readonly durationSeconds: number;
}): Promise<WebauthnFigures> {
  const server = await startServerUnderTest(options.data);
  const ctx = await openServerContext(
    loadConfig({
      env: {},
      flags: { dataDir: options.dataDir, databaseUrl: options.databaseUrl, logLevel: "silent" },
    }),
  );
  const headers = { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" };
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const origin = server.url;
  const rpId = new URL(server.url).hostname;
  try {
    const users: { username: string; soft: SoftAuthenticator; credentialId: string }[] = [];
    for (let i = 0; i < WORKERS * USERS_PER_WORKER; i += 1) {
      const username = `bench-webauthn-${i}`;
      await call("/v1/users", { username });
      const user = await findUser(ctx.database.db, options.tenantId, username);
      if (user === undefined) throw new Error(`no user ${username}`);
      const soft = new SoftAuthenticator();
      const key = await storeSoftKey(ctx, soft, {
        tenantId: options.tenantId,
        userId: user.id,
        rpId,
        origin,
      });
      users.push({ username, soft, credentialId: key.credentialId });
    }
    const signIn = async (worker: number, turn: number, verifyLatencies: number[]) => {
      const who = users[worker + WORKERS * (turn % USERS_PER_WORKER)] as (typeof users)[number];
      const started = await call("/v1/webauthn/authentication/options", { username: who.username });
      const response = who.soft.get(started.options as Record<string, unknown>, { origin });
      const at = performance.now();
      await call("/v1/webauthn/authentication/verify", { ceremonyId: started.ceremonyId, response });
      verifyLatencies.push(performance.now() - at);
    };
    const rows: WebauthnRow[] = [];
    for (const concurrency of [1, WORKERS]) {
      await timed(signIn, concurrency, 1); // warm-up, not reported
      const { verify, roundTrip } = await timed(signIn, concurrency, options.durationSeconds);
      rows.push({
        concurrency,
        verificationsPerSecond: Math.round(verify.length / options.durationSeconds),
        verifyP50Ms: at(verify, 0.5),
        verifyP99Ms: at(verify, 0.99),
        roundTripP50Ms: at(roundTrip, 0.5),
        roundTripP99Ms: at(roundTrip, 0.99),
      });
    }

    // The floor: one assertion verified again and again by the library alone (counter 0 given,
    // so that its own counter check never refuses the repeat), and one counter write.
    const soft = new SoftAuthenticator();
    soft.create({ rp: { id: rpId }, user: { id: "AAAA" }, challenge: "AAAAAAAAAAAAAAAAAAAAAA" }, { origin });
    const credential = soft.credentials[0];
    if (credential === undefined) throw new Error("no credential");
    const challenge = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    const response = soft.get({ challenge, rpId, allowCredentials: [] }, { origin });
    const id = credential.id.toString("base64url");
    const target = users[0] as (typeof users)[number];
    let counter = 1_000_000;
    const floor = {
      "bare verifyAuthenticationResponse/s": await opsPerSecond(2, 1, async () => {
        await verifyAuthenticationResponse({
          response: response as never,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpId,
          credential: { id, publicKey: credential.cose as Uint8Array<ArrayBuffer>, counter: 0 },
        });
      }),
      "one counter write/s (16 parallel)": await opsPerSecond(2, 16, async () => {
        await ctx.database.db
          .updateTable("webauthn_credentials")
          .set({ sign_count: counter++, last_used_at: Date.now() })
          .where("credential_id", "=", target.credentialId)
          .execute();
      }),
    };
    return { rows, floor };
  } finally {
    await ctx.close();
    await server.stop();
  }
}

/** `concurrency` workers signing in until the time is up; the latencies of verify and round trip. */
async function timed(
  op: (worker: number, turn: number, verifyLatencies: number[]) => Promise<void>,
  concurrency: number,
  seconds: number,
) {
  const verify: number[] = [];
  const roundTrip: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_v, worker) => {
      for (let turn = 0; performance.now() < end; turn += 1) {
        const started = performance.now();
        await op(worker, turn, verify);
        roundTrip.push(performance.now() - started);
      }
    }),
  );
  return { verify, roundTrip };
}

function at(latencies: number[], q: number): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(q * (sorted.length - 1))] ?? 0) * 100) / 100;
}
