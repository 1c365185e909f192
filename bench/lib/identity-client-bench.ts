import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { emptySession } from "../../packages/identity-client/src/session/session-data.ts";
import { openSessionStore } from "../../packages/identity-client/src/store/file-session-store.ts";

/**
 * getAccessToken from the shared store (PRODUCT.md §6, issue 13's target: p50 < 1 ms, within 3×
 * of the floor), in 1 and in 20 processes at once, next to the floor: reading and decrypting the
 * same store file with no lock and no client. The store is seeded with a signed-in record whose
 * access token is valid for an hour, so every call is the fast path a running program takes
 * between refreshes (the refresh itself is the server's token endpoint, measured under SSO).
 */
export interface IdentityClientFigures {
  readonly rows: readonly {
    readonly implementation: "getAccessToken" | "floor (read + decrypt)";
    readonly processes: number;
    readonly calls: number;
    readonly p50Micros: number;
    readonly p99Micros: number;
  }[];
}

const worker = new URL("./identity-client-worker.ts", import.meta.url).pathname;

export async function benchIdentityClient(
  issuer: string,
  clientId: string,
  calls = 5000,
): Promise<IdentityClientFigures> {
  const storeDir = join(mkdtempSync(join(tmpdir(), "tessera-bench-identity-")), "store");
  const opened = await openSessionStore({ storeDir, issuer, clientId, lockTimeoutMs: 10_000 });
  if (!opened.ok) throw new Error(opened.message);
  const now = Date.now();
  await opened.value.update(async () => ({
    next: {
      ...emptySession(issuer, clientId),
      tokens: { accessToken: "a".repeat(43), accessTokenExpiresAt: now + 3_600_000, obtainedAt: now },
      generation: 1,
    },
    value: undefined,
  }));
  const rows: IdentityClientFigures["rows"][number][] = [];
  for (const processes of [1, 20])
    for (const implementation of ["getAccessToken", "floor (read + decrypt)"] as const) {
      const what = implementation === "getAccessToken" ? "client" : "floor";
      const latencies = await runWorkers(processes, [what, issuer, clientId, storeDir, String(calls)]);
      latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
      rows.push({
        implementation,
        processes,
        calls: latencies.length,
        p50Micros: at(0.5),
        p99Micros: at(0.99),
      });
    }
  return { rows };
}

/** Starts `count` workers, lets them all go at once, and gathers their latencies. */
async function runWorkers(count: number, args: string[]): Promise<number[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [worker, ...args], { stdio: ["pipe", "pipe", "inherit"] }),
  );
  const lines = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
  await Promise.all(lines.map(async (line) => expectLine(await line.next(), "ready")));
  for (const child of children) child.stdin.write("go\n");
  const results = await Promise.all(
    lines.map(async (line) => JSON.parse(expectLine(await line.next())) as number[]),
  );
  return results.flat();
}

function expectLine(next: IteratorResult<string>, exact?: string): string {
  if (next.done === true || (exact !== undefined && next.value !== exact))
    throw new Error(`identity-client worker: unexpected ${next.done === true ? "end" : next.value}`);
  return next.value;
}
