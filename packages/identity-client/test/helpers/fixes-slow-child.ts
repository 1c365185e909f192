import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { IdentityClient } from "../../src/index.ts";

/**
 * One process of the program behind a slow server, for the lock-wait test (fixes-lock-wait.test.ts):
 * its `fetch` option lets every token endpoint answer arrive FIXES_TOKEN_ANSWER_MS after the
 * request was made (the real server's answer, held back: a server that is slow but in time).
 * Says "ready"; on "go" says "asking", asks for an access token once and prints the result as JSON.
 */
const { FIXES_ISSUER = "", FIXES_CLIENT_ID = "", FIXES_STORE_DIR = "" } = process.env;
const answerMs = Number(process.env.FIXES_TOKEN_ANSWER_MS);
const timeoutMs = Number(process.env.FIXES_TIMEOUT_MS);

const slowTokenEndpoint: typeof fetch = async (input, init) => {
  const started = performance.now();
  const answer = await fetch(input, init);
  const url = input instanceof Request ? input.url : String(input);
  if (!new URL(url).pathname.endsWith("/token")) return answer;
  // Read in full first, so that the held-back answer is complete the moment it is handed over.
  const body = await answer.arrayBuffer();
  await delay(Math.max(0, answerMs - (performance.now() - started)));
  return new Response(body, {
    status: answer.status,
    statusText: answer.statusText,
    headers: answer.headers,
  });
};

const client = new IdentityClient();
const init = await client.init({
  issuer: FIXES_ISSUER,
  clientId: FIXES_CLIENT_ID,
  mode: "interactive",
  storeDir: FIXES_STORE_DIR,
  timeoutMs,
  fetch: slowTokenEndpoint,
});
if (!client.initialized) {
  process.stdout.write(`${JSON.stringify({ status: init.status, message: init.message })}\n`);
  process.exit(1);
}
process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line !== "go") continue;
  process.stdout.write("asking\n");
  const result = await client.getAccessToken();
  process.stdout.write(
    `${JSON.stringify({ status: result.status, token: result.value, message: result.message })}\n`,
  );
  break;
}
lines.close();
client.close();
