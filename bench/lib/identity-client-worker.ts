import { createInterface } from "node:readline";
import { IdentityClient } from "@tessera/identity-client";
import { openSessionStore } from "../../packages/identity-client/src/store/file-session-store.ts";

/**
 * One process of the identity-client benchmark (identity-client-bench.ts): initialises, says
 * "ready", waits for "go" on stdin (so that all processes start together), then times `calls`
 * calls one after another and prints their latencies in microseconds as one JSON line.
 *
 *   identity-client-worker.ts <client|floor> <issuer> <client id> <store dir> <calls>
 *
 * client: getAccessToken() through the public API (the shared store's fast path).
 * floor:  the same store file read and decrypted, no lock and no client around it.
 */
const [what = "client", issuer = "", clientId = "", storeDir = "", callsText = "1000"] =
  process.argv.slice(2);
const calls = Number(callsText);

let call: () => Promise<unknown>;
if (what === "client") {
  const client = new IdentityClient();
  const init = await client.init({ issuer, clientId, mode: "interactive", storeDir });
  if (init.status !== 0) throw new Error(`init: ${init.status} ${init.message}`);
  call = async () => {
    const token = await client.getAccessToken();
    if (token.status !== 0) throw new Error(`getAccessToken: ${token.status} ${token.message}`);
  };
} else {
  const opened = await openSessionStore({ storeDir, issuer, clientId, lockTimeoutMs: 10_000 });
  if (!opened.ok) throw new Error(opened.message);
  const store = opened.value;
  call = async () => {
    const read = await store.read();
    if (!read.ok || read.value?.tokens === undefined) throw new Error("the store holds no tokens");
  };
}
// Warm-up: the first calls compile the code paths.
for (let i = 0; i < 200; i += 1) await call();
process.stdout.write("ready\n");
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once("line", () => resolve()));
const latencies: number[] = [];
for (let i = 0; i < calls; i += 1) {
  const started = performance.now();
  await call();
  latencies.push(Math.round((performance.now() - started) * 1000));
}
process.stdout.write(`${JSON.stringify(latencies)}\n`);
process.exit(0);
