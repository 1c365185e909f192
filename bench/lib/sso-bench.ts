import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { openServerContext } from "../../packages/server/src/app/server-context.ts";
import type { TesseraConfig } from "../../packages/server/src/config/tessera-config.ts";
import { secretSealedAs } from "../../packages/server/src/sso/apps/app-store.ts";
import { BARE_CLIENT } from "./bare-oidc-provider-client.ts";
import { load, type Measurement } from "./measure.ts";
import { cpuSecondsOf, type ServerUnderTest } from "./server-under-test.ts";
import { seedRefreshTokens } from "./sso-refresh-tokens.ts";
import { benchSignIn, type SignInFigures } from "./sso-sign-in-bench.ts";

/**
 * Issue #12: client-credentials grants/s and refresh grants/s at the token endpoint of a tenant's
 * issuer in the server under test, next to a bare oidc-provider on its in-memory adapter (the
 * library's ceiling, lib/bare-oidc-provider.ts) measured in the same run. Refresh tokens rotate on
 * every use, so each request presents a token not used before, and a level stops when its tokens
 * are used up (`refreshTokens` per concurrency level). Then the full sign-in through the pages,
 * timed per request (lib/sso-sign-in-bench.ts).
 */
export interface SsoOptions {
  readonly backend: string;
  readonly config: TesseraConfig;
  readonly tenantId: string;
  readonly username: string;
  readonly connections: readonly number[];
  readonly durationSeconds: number;
  readonly refreshTokens: number;
  /** An admin API key of the tenant, and how many full sign-ins to time. */
  readonly apiKey: string;
  readonly signIns: number;
}

const form = { "content-type": "application/x-www-form-urlencoded" };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

export async function benchSso(
  server: ServerUnderTest,
  o: SsoOptions,
): Promise<{ measurements: Measurement[]; signIn: SignInFigures }> {
  const seeding = await openServerContext(o.config);
  // The issuer is named after the server's address, as the server names it.
  seeding.publicUrl = server.url;
  const now = seeding.clock.now();
  await seeding.database.db
    .insertInto("sso_apps")
    .values({
      client_id: BARE_CLIENT.id,
      tenant_id: o.tenantId,
      name: "bench",
      kind: "confidential",
      secret_enc: seeding.keys.encrypt(BARE_CLIENT.secret, secretSealedAs(BARE_CLIENT.id)),
      redirect_uris: JSON.stringify(["https://app.example/cb"]),
      post_logout_redirect_uris: "[]",
      grant_types: JSON.stringify(["client_credentials", "refresh_token", "authorization_code"]),
      scopes: "openid offline_access",
      second_factors: "[]",
      require_second_factor: 0,
      first_party: 1,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const user = await seeding.database.db
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", o.tenantId)
    .where("username", "=", o.username)
    .executeTakeFirstOrThrow();
  const provider = await seeding.sso.providerFor(o.tenantId);
  const tessera = await seedRefreshTokens(
    provider,
    BARE_CLIENT.id,
    user.id,
    o.refreshTokens * o.connections.length,
  );
  await seeding.close();

  const bare = await startBareProvider(o.refreshTokens * o.connections.length);
  const results: Measurement[] = [];
  const issuers = [
    {
      implementation: "tessera",
      issuer: `${server.url}/oidc/${o.tenantId}`,
      tokens: tessera,
      cpu: () => server.cpuSeconds(),
    },
    { implementation: "bare oidc-provider", issuer: bare.url, tokens: bare.tokens, cpu: bare.cpuSeconds },
  ];
  try {
    for (const connections of o.connections) {
      for (const { implementation, issuer, tokens, cpu } of issuers) {
        const headers = { ...form, authorization: basic(BARE_CLIENT.id, BARE_CLIENT.secret) };
        const label = (workload: string) => ({ workload, backend: o.backend, implementation });
        results.push(
          await load(label("client credentials"), {
            url: `${issuer}/token`,
            method: "POST",
            headers,
            body: "grant_type=client_credentials&scope=openid",
            connections,
            durationSeconds: o.durationSeconds,
            serverCpuSeconds: cpu,
          }),
        );
        const batch = tokens.splice(0, o.refreshTokens);
        let next = 0;
        results.push(
          await load(label("refresh grant"), {
            url: `${issuer}/token`,
            method: "POST",
            headers,
            bodies: () => `grant_type=refresh_token&refresh_token=${batch[next++ % batch.length]}`,
            connections,
            durationSeconds: o.durationSeconds,
            amount: batch.length,
            serverCpuSeconds: cpu,
          }),
        );
      }
    }
  } finally {
    bare.stop();
  }
  const signIn = await benchSignIn(server.url, o.apiKey, o.tenantId, o.signIns);
  return { measurements: results, signIn };
}

async function startBareProvider(refreshTokens: number) {
  const file = join(mkdtempSync(join(tmpdir(), "tessera-bench-oidc-")), "tokens.json");
  const script = new URL("./bare-oidc-provider.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, [script, String(refreshTokens), file], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the bare provider exited with ${code}`)));
  });
  return {
    url,
    tokens: JSON.parse(readFileSync(file, "utf8")) as string[],
    cpuSeconds: () => cpuSecondsOf(child.pid ?? 0),
    stop: () => child.kill("SIGTERM"),
  };
}
