import { IdentityStatusCode } from "@tessera/codes";
import { classifyFailure } from "../results/classify-failure.ts";
import type { ResolvedOptions } from "./init-options.ts";

/** Undefined: registered (or not asked); `note`: the check could not be made but need not stop init. */
export type ClientCheck =
  | { readonly status: IdentityStatusCode; readonly message: string; readonly note?: never }
  | { readonly note: string }
  | undefined;

/**
 * Asks the issuer's client information endpoint (`tessera_client_info_endpoint` in discovery,
 * `GET <endpoint>/<client id>`) whether the main client id is registered: a 404 that says
 * `tessera_client_not_registered` is ClientIdNotRegistered; any other failure is
 * AuthenticationInterfaceCouldNotBeInitialized with its classified cause, except a 429: the
 * endpoint is rate limited per source address, and many programs behind one address starting at
 * once must not fail for it (the server still refuses an unknown id at the token endpoint,
 * distinctly), so init goes on with a note. An issuer that does not
 * advertise the endpoint (a Tessera before it, another provider) is not asked: an unknown id then
 * shows at the first token request instead.
 */
export async function checkClientRegistered(
  options: ResolvedOptions,
  metadata: Readonly<Record<string, unknown>>,
): Promise<ClientCheck> {
  const endpoint = metadata.tessera_client_info_endpoint;
  if (endpoint === undefined) return undefined;
  const failed = (message: string): ClientCheck => ({
    status: IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized,
    message: `the client check failed: ${message}`,
  });
  let url: URL;
  try {
    url = new URL(`${String(endpoint).replace(/\/+$/, "")}/${encodeURIComponent(options.clientId)}`);
  } catch {
    return failed("tessera_client_info_endpoint is not a URL");
  }
  // The endpoint comes from the issuer's own document; it must be on the issuer's origin.
  if (url.origin !== options.issuerUrl.origin)
    return failed("tessera_client_info_endpoint is on another origin");
  try {
    // Redirects are not followed (a 3xx is not ok): one would lead past the origin check above.
    const response = await options.serverFetch(url, {
      headers: { accept: "application/json" },
      redirect: "manual",
    });
    // Read first (a body too large or too slow is that failure), then parsed (garbage is no answer).
    const body = parseJson(await response.text());
    if (response.status === 404 && body?.tessera_client_not_registered === true)
      return {
        status: IdentityStatusCode.ClientIdNotRegistered,
        message: `the client id ${options.clientId} is not registered at this issuer`,
      };
    if (response.status === 429)
      return { note: "the client check was rate limited; the client id is unconfirmed" };
    if (!response.ok) throw Object.assign(new Error("client info"), { status: response.status });
    if (body?.client_id !== options.clientId) throw new Error("the client information names another client");
    return undefined;
  } catch (error) {
    return failed(classifyFailure(error).message);
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown> | undefined;
  } catch {
    return undefined;
  }
}
