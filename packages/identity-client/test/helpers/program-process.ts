import { createInterface } from "node:readline";
import { IdentityClient, type InitOptions } from "../../src/index.ts";

/**
 * The body of a child process of the program (tokens-child.ts, fixes-slow-child.ts): initialises
 * an IdentityClient with `options` (on the shared store), says "ready", and on "go" (stdin) asks
 * for an access token once, saying "asking" first when `sayAsking`, and prints the result as one
 * JSON line. An init that fails prints {init, message} and exits 1.
 */
export async function runProgramProcess(options: InitOptions, sayAsking = false): Promise<void> {
  const client = new IdentityClient();
  const init = await client.init(options);
  if (!client.initialized) {
    process.stdout.write(`${JSON.stringify({ init: init.status, message: init.message })}\n`);
    process.exit(1);
  }
  process.stdout.write("ready\n");
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line !== "go") continue;
    if (sayAsking) process.stdout.write("asking\n");
    const result = await client.getAccessToken();
    process.stdout.write(
      `${JSON.stringify({ status: result.status, token: result.value, message: result.message })}\n`,
    );
    break;
  }
  lines.close();
  client.close();
}
