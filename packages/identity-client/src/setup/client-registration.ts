import { IdentityStatusCode } from "@tessera/codes";
import { classifyFailure } from "../results/classify-failure.ts";
import type { ResolvedOptions } from "./init-options.ts";

/** Undefined: registered (or not asked); `note`: the check could not be made but need not stop init. */
export type ClientCheck =
  | { readonly status: IdentityStatusCode; readonly message: string; readonly note?: never }
  | { readonly note: string }
  | undefined;

/** What the issuer's client information endpoint said about one client id. */
export type ClientInfoAnswer =
  | { readonly kind: "registered" | "not-registered" | "not-advertised" | "rate-limited" }
  | { readonly kind: "failed"; readonly message: string };

/**
 * Asks the issuer's client information endpoint (`tessera_client_info_endpoint` in discovery,
 * `GET <endpoint>/<client id>`) about `clientId`, through the options' serverFetch (the host's
 * fetch, timeoutMs and the answer-size cap apply). `not-registered` only on the server's distinct
 * answer (404 with `tessera_client_not_registered`); an issuer that does not advertise the endpoint
 * (a Tessera before it, another provider) is `not-advertised`; a 429 is `rate-limited` (the
 * endpoint is limited per source address); anything else unusable is `failed`, with its cause.
 */
export async function askClientInfo(
  options: ResolvedOptions,
  metadata: Readonly<Record<string, unknown>>,
  clientId: string,
): Promise<ClientInfoAnswer> {
  const endpoint = metadata.tessera_client_info_endpoint;
  if (endpoint === undefined) return { kind: "not-advertised" };
  const failed = (message: string): ClientInfoAnswer => ({ kind: "failed", message });
  let url: URL;
  try {
    url = new URL(`${String(endpoint).replace(/\/+$/, "")}/${encodeURIComponent(clientId)}`);
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
      return { kind: "not-registered" };
    if (response.status === 429) return { kind: "rate-limited" };
    if (!response.ok) throw Object.assign(new Error("client info"), { status: response.status });
    if (body?.client_id !== clientId) throw new Error("the client information names another client");
    return { kind: "registered" };
  } catch (error) {
    return failed(classifyFailure(error).message);
  }
}

/**
 * init's check of the main client id (askClientInfo): not registered is ClientIdNotRegistered; a
 * failure is AuthenticationInterfaceCouldNotBeInitialized with its classified cause, except a 429:
 * many programs behind one address starting at once must not fail for it (the server still refuses
 * an unknown id at the token endpoint, distinctly), so init goes on with a note. An issuer that
 * does not advertise the endpoint is not asked: an unknown id then shows at the first token request.
 */
export async function checkClientRegistered(
  options: ResolvedOptions,
  metadata: Readonly<Record<string, unknown>>,
): Promise<ClientCheck> {
  const answer = await askClientInfo(options, metadata, options.clientId);
  switch (answer.kind) {
    case "not-registered":
      return {
        status: IdentityStatusCode.ClientIdNotRegistered,
        message: `the client id ${options.clientId} is not registered at this issuer`,
      };
    case "rate-limited":
      return { note: "the client check was rate limited; the client id is unconfirmed" };
    case "failed":
      return {
        status: IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized,
        message: `the client check failed: ${answer.message}`,
      };
    default:
      return undefined;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown> | undefined;
  } catch {
    return undefined;
  }
}
