import { runProgramProcess } from "./program-process.ts";

/**
 * One process of the program, for the refresh-race test: initialises on the shared store given in
 * the environment, says "ready", and on "go" (stdin) asks for an access token once and prints the
 * result as one JSON line. Started by tokens-refresh.test.ts with process.execPath.
 */
const { TOKENS_ISSUER = "", TOKENS_CLIENT_ID = "", TOKENS_STORE_DIR = "" } = process.env;
await runProgramProcess({
  issuer: TOKENS_ISSUER,
  clientId: TOKENS_CLIENT_ID,
  mode: "interactive",
  storeDir: TOKENS_STORE_DIR,
});
