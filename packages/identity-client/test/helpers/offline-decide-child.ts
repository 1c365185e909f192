import { decideOffline } from "../../src/offline/offline-decision.ts";
import { offlineClient, refusedConnection } from "./offline-fixture.ts";

/**
 * One process of a program deciding offline on a shared store: argv storeDir issuer clientId now.
 * Prints {"status": <identity code>} on one line; the parent records the code.
 */
const [storeDir, issuer, clientId, now] = process.argv.slice(2);
if (storeDir === undefined || issuer === undefined || clientId === undefined || now === undefined)
  throw new Error("usage: offline-decide-child.ts storeDir issuer clientId now");
const client = await offlineClient(issuer, clientId, storeDir);
client.clock.now = Number(now);
const cause = await refusedConnection();
const read = await client.store.read();
if (!read.ok || read.value === undefined) throw new Error("the shared store holds no session");
const result = await decideOffline(client.ctx, read.value, cause);
process.stdout.write(`${JSON.stringify({ status: result.status })}\n`);
