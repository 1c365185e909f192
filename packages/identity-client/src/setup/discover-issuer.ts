import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import { classifyFailure } from "../results/classify-failure.ts";
import type { CachedDiscovery } from "../session/session-data.ts";
import type { ResolvedOptions } from "./init-options.ts";
import { isLoopback } from "./validate-options.ts";

export type Discovered =
  | {
      readonly ok: true;
      readonly server: oidc.Configuration;
      readonly discovery: Omit<CachedDiscovery, "fetchedAt">;
    }
  | { readonly ok: false; readonly status: IdentityStatusCode; readonly message: string };

const unusable = (status: IdentityStatusCode, message: string): Discovered => ({
  ok: false,
  status,
  message,
});

/**
 * Discovery, then the issuer's keys: AuthenticationInterfaceCouldNotBeInitialized when either
 * cannot be had (the classified cause in the message), TokenManagementInterfaceCouldNotBeInitialized
 * when the document names no token endpoint (nothing could ever be signed in or refreshed).
 * Every request goes through the options' serverFetch (timeout, host fetch).
 */
export async function discoverIssuer(options: ResolvedOptions): Promise<Discovered> {
  let server: oidc.Configuration;
  try {
    server = await oidc.discovery(options.issuerUrl, options.clientId, options.clientSecret, undefined, {
      // openid-client's own timeout is whole seconds; serverFetch enforces timeoutMs itself.
      timeout: Math.ceil(options.timeoutMs / 1000),
      [oidc.customFetch]: (url, init) => options.serverFetch(url, init as RequestInit),
      ...(isLoopback(options.issuerUrl) ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    const named = issuerNamed(error);
    const { message } =
      named === undefined
        ? classifyFailure(error)
        : {
            message: `the issuer option (${options.issuerUrl.href}) is not the issuer the server names (${named}); pass exactly that one (tessera app show prints it)`,
          };
    return unusable(
      IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized,
      `discovery failed: ${message}`,
    );
  }
  const metadata = server.serverMetadata();
  if (typeof metadata.token_endpoint !== "string" || metadata.token_endpoint === "")
    return unusable(
      IdentityStatusCode.TokenManagementInterfaceCouldNotBeInitialized,
      "the issuer's discovery document names no token_endpoint",
    );
  const insecure = insecureEndpoint(metadata);
  if (insecure !== undefined)
    return unusable(
      IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized,
      `the issuer's ${insecure} is not https`,
    );
  const jwks = await fetchKeys(options, metadata.jwks_uri);
  if (typeof jwks === "string")
    return unusable(IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized, jwks);
  return {
    ok: true,
    server,
    discovery: { metadata: { ...metadata }, ...(jwks === undefined ? {} : { jwks }) },
  };
}

/**
 * The issuer a discovery document names when it is not the one asked for (openid-client's issuer
 * comparison failed): a trailing slash or another host name in the issuer option is the usual
 * mistake, and "the answer could not be used" would not tell. Bounded: it comes from the server.
 */
function issuerNamed(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 6; depth++) {
    const { code, cause: detail } = cause as { code?: unknown; cause?: unknown };
    const { attribute, body } = (detail ?? {}) as { attribute?: unknown; body?: { issuer?: unknown } };
    if (code === "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED" && attribute === "issuer")
      return JSON.stringify(String(body?.issuer).slice(0, 200));
    cause = detail;
  }
  return undefined;
}

/** The endpoints tokens, codes or credentials travel to. */
const ENDPOINTS = [
  "authorization_endpoint",
  "token_endpoint",
  "userinfo_endpoint",
  "revocation_endpoint",
  "introspection_endpoint",
  "device_authorization_endpoint",
  "end_session_endpoint",
  "tessera_client_info_endpoint",
] as const;

/**
 * The first endpoint that is not https (http only on loopback), if any. openid-client allows
 * plain http for a loopback issuer (development) for every endpoint at once: without this check a
 * loopback issuer could send refresh tokens, secrets and personal access tokens over a network in
 * clear.
 */
function insecureEndpoint(metadata: Readonly<Record<string, unknown>>): string | undefined {
  return ENDPOINTS.find((name) => {
    const value = metadata[name];
    if (value === undefined) return false;
    try {
      const url = new URL(String(value));
      return !(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url)));
    } catch {
      return true;
    }
  });
}

/** The issuer's public keys (kept so that an offline process can verify ID tokens), or why not. */
async function fetchKeys(
  options: ResolvedOptions,
  jwksUri: string | undefined,
): Promise<CachedDiscovery["jwks"] | string> {
  if (jwksUri === undefined) return undefined;
  try {
    const url = new URL(jwksUri);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url)))
      return "the issuer's jwks_uri is not https";
    // Redirects are not followed (a 3xx is not ok): one would lead past the https check above.
    const response = await options.serverFetch(url, {
      headers: { accept: "application/json" },
      redirect: "manual",
    });
    if (!response.ok) throw Object.assign(new Error("jwks"), { status: response.status });
    const body: unknown = await response.json();
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys) || keys.some((key) => typeof key !== "object" || key === null))
      throw new Error("jwks is not a key set");
    return { keys: keys as Record<string, unknown>[] };
  } catch (error) {
    return `the issuer's keys (jwks_uri) could not be fetched: ${classifyFailure(error).message}`;
  }
}
