import { isAbsolute } from "node:path";
import { serverFetch } from "./host-fetch.ts";
import {
  DEFAULT_SCOPES,
  DEFAULT_TIMEOUT_MS,
  type InitOptions,
  KNOWN_LOCALES,
  MAX_SCOPES,
  MAX_TIMEOUT_MS,
  MIN_TIMEOUT_MS,
  type ResolvedOptions,
} from "./init-options.ts";

/**
 * Checks every init option and applies the defaults. Answers the options, or a message naming the
 * first option that is wrong (init answers it as Failed). Batch credentials come from the options
 * or else from the environment, and stay in this process (never in the store).
 */
export function resolveOptions(given: InitOptions, env: NodeJS.ProcessEnv): ResolvedOptions | string {
  if (typeof given !== "object" || given === null) return "options must be an object";
  // One copy, read once: a getter (or Proxy) answering one value when checked and another when
  // used would otherwise slip an unchecked value (a relative storeDir, another mode) past the checks.
  const options: InitOptions = { ...given };
  const issuerUrl = issuerOf(options.issuer);
  if (typeof issuerUrl === "string") return issuerUrl;
  if (typeof options.clientId !== "string" || !clientIdPattern.test(options.clientId)) return CLIENT_ID_RULE;
  if (options.mode !== "interactive" && options.mode !== "batch") return "mode must be interactive or batch";
  const locale = localeOf(options.locale);
  if (locale === undefined) return "locale must be a BCP 47 language tag";
  // Only an absent option takes its default: null is a wrong value, not a missing one.
  const scopes = options.scopes === undefined ? DEFAULT_SCOPES : options.scopes;
  const scopeProblem = checkScopes(scopes);
  if (scopeProblem !== undefined) return scopeProblem;
  if (options.storeDir !== undefined && !(isText(options.storeDir, 4096) && isAbsolute(options.storeDir)))
    return "storeDir must be an absolute path";
  const timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS)
    return `timeoutMs must be an integer from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}`;
  const callbacks = checkCallbacks(options);
  if (callbacks !== undefined) return callbacks;
  const batch = batchCredentials(options, env);
  if (typeof batch === "string") return batch;
  return {
    ...options,
    ...batch,
    issuerUrl,
    locale,
    scopes,
    timeoutMs,
    serverFetch: serverFetch(options.fetch, timeoutMs),
  };
}

export const clientIdPattern = /^[A-Za-z0-9._~-]{1,128}$/;
export const CLIENT_ID_RULE = "clientId must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -";
/** RFC 6749 §3.3 scope-token, bounded. */
const scopeTokenPattern = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

const isText = (value: unknown, max: number): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= max && !value.includes("\0");

export const isLoopback = (url: URL) =>
  url.hostname === "127.0.0.1" || url.hostname === "[::1]" || url.hostname === "localhost";

function issuerOf(issuer: unknown): URL | string {
  if (!isText(issuer, 2048)) return "issuer must be a URL";
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return "issuer must be a URL";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url)))
    return "issuer must be https (http only on loopback)";
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "")
    return "issuer must have no query, fragment or credentials";
  return url;
}

/** A known language, the known language of a valid tag's primary subtag, else en; undefined if invalid. */
function localeOf(locale: unknown): string | undefined {
  if (locale === undefined) return "en";
  if (!isText(locale, 64)) return undefined;
  let canonical: string;
  try {
    [canonical = "en"] = Intl.getCanonicalLocales(locale);
  } catch {
    return undefined;
  }
  const language = canonical.split("-")[0]?.toLowerCase() ?? "en";
  return (KNOWN_LOCALES as readonly string[]).includes(language) ? language : "en";
}

function checkScopes(scopes: unknown): string | undefined {
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > MAX_SCOPES)
    return `scopes must be an array of 1 to ${MAX_SCOPES} scope tokens`;
  for (const scope of scopes)
    if (typeof scope !== "string" || !scopeTokenPattern.test(scope))
      return "scopes must hold scope tokens (RFC 6749: printable ASCII, no space, quote or backslash)";
  if (new Set(scopes).size !== scopes.length) return "scopes must not repeat a scope";
  return undefined;
}

function checkCallbacks(options: InitOptions): string | undefined {
  if (options.fetch !== undefined && typeof options.fetch !== "function") return "fetch must be a function";
  if (options.onDeviceCode !== undefined && typeof options.onDeviceCode !== "function")
    return "onDeviceCode must be a function";
  if (options.browser !== undefined && !isText(options.browser, 4096)) return "browser must be a command";
  if (
    options.helperExecPath !== undefined &&
    !(isText(options.helperExecPath, 4096) && isAbsolute(options.helperExecPath))
  )
    return "helperExecPath must be an absolute path";
  return undefined;
}

type BatchCredentials = Pick<InitOptions, "personalAccessToken" | "clientSecret" | "authentication">;

/**
 * Batch credentials: the options, else TESSERA_PERSONAL_ACCESS_TOKEN / TESSERA_CLIENT_SECRET.
 * Batch mode without any credentials must say `authentication: "none"` (NoAuthentication); saying
 * nothing is refused at init rather than guessed, so that a missing variable in an automation job
 * fails loudly instead of running unauthenticated.
 */
function batchCredentials(options: InitOptions, env: NodeJS.ProcessEnv): BatchCredentials | string {
  const { authentication = "required" } = options;
  if (authentication !== "required" && authentication !== "none")
    return "authentication must be required or none";
  for (const name of ["personalAccessToken", "clientSecret"] as const) {
    const value = options[name];
    if (value !== undefined && !isText(value, 4096)) return `${name} must be a non-empty string`;
    if (value !== undefined && options.mode !== "batch") return `${name} is for batch mode only`;
  }
  if (options.authentication !== undefined && options.mode !== "batch")
    return "authentication is for batch mode only";
  if (options.mode !== "batch") return {};
  for (const name of ["TESSERA_PERSONAL_ACCESS_TOKEN", "TESSERA_CLIENT_SECRET"] as const)
    if (nonEmpty(env[name]) !== undefined && !isText(env[name], 4096)) return `${name} is malformed`;
  const personalAccessToken = options.personalAccessToken ?? nonEmpty(env.TESSERA_PERSONAL_ACCESS_TOKEN);
  const clientSecret = options.clientSecret ?? nonEmpty(env.TESSERA_CLIENT_SECRET);
  if (authentication === "none") {
    if (options.personalAccessToken !== undefined || options.clientSecret !== undefined)
      return "authentication none takes no personalAccessToken or clientSecret";
    return { authentication };
  }
  if (personalAccessToken === undefined && clientSecret === undefined)
    return 'batch mode needs personalAccessToken or clientSecret (or TESSERA_PERSONAL_ACCESS_TOKEN / TESSERA_CLIENT_SECRET), or authentication: "none"';
  return {
    authentication,
    ...(personalAccessToken === undefined ? {} : { personalAccessToken }),
    ...(clientSecret === undefined ? {} : { clientSecret }),
  };
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);
