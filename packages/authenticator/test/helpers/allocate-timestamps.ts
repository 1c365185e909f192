/**
 * Run as its own process by the state tests: signs `count` requests for the one device enrolled
 * in the state directory `dir` and prints the Tessera-Timestamp of each, one per line. Several of
 * these at once are several commands sharing one key file.
 */
import { clientFor, pickAccount } from "../../src/commands/command-context.ts";
import { StateStore } from "../../src/state/state-store.ts";

const [dir = "", count = "0"] = process.argv.slice(2);
const context = { store: new StateStore(dir), out: () => {}, err: () => {}, invocation: "test" };
const client = clientFor(context, await pickAccount(context, undefined));
for (let i = 0; i < Number(count); i++) {
  const { headers } = await client.signed("GET", "/app/v1/requests", "");
  process.stdout.write(`${headers["tessera-timestamp"]}\n`);
}
