import { setTimeout as delay } from "node:timers/promises";
import { runProgramProcess } from "./program-process.ts";

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

await runProgramProcess(
  {
    issuer: FIXES_ISSUER,
    clientId: FIXES_CLIENT_ID,
    mode: "interactive",
    storeDir: FIXES_STORE_DIR,
    timeoutMs,
    fetch: slowTokenEndpoint,
  },
  true,
);
