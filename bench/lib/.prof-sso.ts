import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { openServerContext } from "../../packages/server/src/app/server-context.ts";
import { loadConfig } from "../../packages/server/src/config/load-config.ts";
import { secretSealedAs } from "../../packages/server/src/sso/apps/app-store.ts";
import { freePort, tessera } from "./server-under-test.ts";

const dataDir = mkdtempSync(join(tmpdir(), "tessera-prof-"));
const created = JSON.parse(tessera(["--data-dir", dataDir, "tenant", "create", "bench", "--json"]));
const ctx = await openServerContext(loadConfig({ env: {}, flags: { dataDir, logLevel: "silent" } }));
const now = Date.now();
await ctx.database.db
  .insertInto("sso_apps")
  .values({
    client_id: "bench-app",
    tenant_id: created.tenant.id,
    name: "b",
    kind: "confidential",
    secret_enc: ctx.keys.encrypt("bench-secret-bench-secret", secretSealedAs("bench-app")),
    redirect_uris: "[]",
    post_logout_redirect_uris: "[]",
    grant_types: JSON.stringify(["client_credentials"]),
    scopes: "openid",
    second_factors: "[]",
    require_second_factor: 0,
    first_party: 1,
    created_at: now,
    updated_at: now,
  })
  .execute();
await ctx.close();
const port = await freePort();
const prof = process.argv[2] ?? "";
const child = spawn(
  process.execPath,
  [
    "--max-semi-space-size=4",
    ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []),
    "packages/server/bin/tessera.js",
    "start",
    "--port",
    String(port),
    "--data-dir",
    dataDir,
  ],
  { stdio: "ignore", env: { ...process.env, TESSERA_LOG_LEVEL: "warn" } },
);
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
const opts = {
  url: `http://127.0.0.1:${port}/oidc/${created.tenant.id}/token`,
  method: "POST" as const,
  headers: {
    "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from("bench-app:bench-secret-bench-secret").toString("base64")}`,
  },
  body: "grant_type=client_credentials&scope=openid",
  connections: 16,
  pipelining: 1,
};
await autocannon({ ...opts, duration: 3 });
const r = await autocannon({ ...opts, duration: 8 });
console.log("rps", r.requests.average, "non2xx", r.non2xx);
const exited = once(child, "exit");
child.kill("SIGTERM");
await exited;
