import { createInterface } from "node:readline";
import { IdentityClient } from "../../src/index.ts";

/**
 * One process of the program, for the refresh-race test: initialises on the shared store given in
 * the environment, says "ready", and on "go" (stdin) asks for an access token once and prints the
 * result as one JSON line. Started by tokens-refresh.test.ts with process.execPath.
 */
const { TOKENS_ISSUER = "", TOKENS_CLIENT_ID = "", TOKENS_STORE_DIR = "" } = process.env;
const client = new IdentityClient();
const init = await client.init({
  issuer: TOKENS_ISSUER,
  clientId: TOKENS_CLIENT_ID,
  mode: "interactive",
  storeDir: TOKENS_STORE_DIR,
});
if (!client.initialized) {
  process.stdout.write(`${JSON.stringify({ init: init.status, message: init.message })}\n`);
  process.exit(1);
}
process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line !== "go") continue;
  const result = await client.getAccessToken();
  process.stdout.write(
    `${JSON.stringify({ status: result.status, token: result.value, message: result.message })}\n`,
  );
  break;
}
lines.close();
client.close();
