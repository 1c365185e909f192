import { IdentityStatusCode } from "@tessera/codes";
import { fail, type IdentityResult } from "../results/identity-result.ts";
import { CLIENT_ID_RULE, clientIdPattern, isLoopback } from "./validate-options.ts";

// The facade's checks of call arguments (Failed naming the argument), for programs in plain
// JavaScript or with `any`: nothing malformed reaches an operation.

/** getAccessToken's optional client id. */
export function clientIdArgumentProblem<T>(clientId: unknown): IdentityResult<T> | undefined {
  if (clientId === undefined || (typeof clientId === "string" && clientIdPattern.test(clientId)))
    return undefined;
  return fail(IdentityStatusCode.Failed, CLIENT_ID_RULE);
}

/**
 * fetch's url and init. The url must be https, or http on loopback only: an access token is
 * never sent in clear over a network.
 */
export function fetchArgumentsProblem<T>(url: unknown, init: unknown): IdentityResult<T> | undefined {
  let parsed: URL;
  try {
    if (typeof url !== "string" && !(url instanceof URL)) throw new TypeError("url");
    parsed = new URL(url);
  } catch {
    return fail(IdentityStatusCode.Failed, "url must be an absolute URL");
  }
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && isLoopback(parsed)))
    return fail(IdentityStatusCode.Failed, "url must be https (http only on loopback)");
  if (typeof init !== "object" || init === null || Array.isArray(init))
    return fail(IdentityStatusCode.Failed, "init must be an object");
  return undefined;
}
