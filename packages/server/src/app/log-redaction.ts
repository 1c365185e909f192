import type { FastifyRequest } from "fastify";

/**
 * Request logging without secrets. Session tokens travel in the path of /v1/sessions/{token},
 * provisioning links in /provision/{token}, recovery ids in /v1/password-recovery/{rid}, and
 * recovery ids or codes in query strings.
 *
 * A matched request is logged by its route, not by its raw URL: the router decodes the path
 * (`/v1/%73essions/…` reaches the session route, as do `…;x` and `/v1//sessions/…`), so searching the
 * raw URL for a marker misses encodings. The logged path is the route's pattern with each parameter
 * filled in, and fails closed: only parameters known to be identifiers, not secrets, are shown;
 * any other, including one a future route adds, is [redacted]. Even an identifier parameter is
 * shown only when its value looks like one (`publicValue`): the router hands over whatever the
 * client sent, valid or not, and a secret pasted into the wrong place (`DELETE /v1/api-keys/tsk_…`,
 * `/v1/users/tss_…`) is logged before validation refuses it. Checking the shape here rather than
 * "did validation pass" keeps identifiers in the lines of requests refused before validation (401).
 *
 * The query string fails closed too: a key the route declares in its querystring schema keeps a
 * value that looks public, unless the key is one of the secret ones (`rid`, `mid`, …); every
 * undeclared key has its value redacted (`?apikey=`, `?a=1;token=` are not guessed at), and a key
 * that itself does not look like a name is redacted whole.
 *
 * A request no route matched (404, 405, a malformed URL) has no parameters to tell secrets from
 * identifiers, and a mistyped path may still carry a token, so it keeps only its collection
 * (`/v1/<collection>` or its first segment) when that looks like a collection name, and the rest
 * of the path is [redacted]: enough to see which endpoint a client was after.
 */
const PUBLIC_PARAMS = new Set([
  "serial",
  "id",
  "username",
  // Only the API reference's static files (/docs/static/*) have a wildcard.
  "*",
]);
// `id`: the account-activation link's id (sso/activation/) is a bearer secret.
const SECRET_QUERY_KEYS = new Set(["token", "mid", "rid", "password", "code", "otp", "id"]);
const REDACTED = "[redacted]";
/**
 * What an identifier (a serial, a key id, a username), a query name or a public query value looks
 * like: short, from a conservative alphabet. Tessera's own secrets start with tsk_ (API keys) or
 * tss_ (session tokens) and are never shown, whatever else they match.
 */
const identifier = /^[A-Za-z0-9._@+-]{0,64}$/;
const queryName = /^[A-Za-z0-9._-]{1,64}$/;
const queryValue = /^[A-Za-z0-9._@+:, -]{0,200}$/;
const secretPrefix = /^ts[ks]_/i;
const looksPublic = (value: string, shape: RegExp) => shape.test(value) && !secretPrefix.test(value);
/** Collection names are lowercase words with hyphens; a random token almost never is one. */
const collectionName = /^[a-z][a-z0-9-]{0,31}$/;

type Part = string | { readonly param: string };
/** Route patterns split once each; there are as many as there are routes. */
const patterns = new Map<string, readonly Part[]>();

/** Runs for every logged request, so cheap on the common path: no query, a known route. */
export function redactedRequestUrl(request: FastifyRequest): string {
  const url = request.url;
  const queryAt = url.indexOf("?");
  const query = queryAt < 0 ? "" : redactQuery(url.slice(queryAt), declaredQueryKeys(request));
  const pattern = request.routeOptions.url;
  if (pattern === undefined) return redactUnmatchedPath(queryAt < 0 ? url : url.slice(0, queryAt)) + query;
  const params = request.params as Record<string, unknown> | undefined;
  let path = "";
  for (const part of partsOf(pattern)) {
    if (typeof part === "string") path += part;
    else {
      const value = String(params?.[part.param] ?? "");
      path +=
        PUBLIC_PARAMS.has(part.param) && publicParam(part.param, value)
          ? encodeURIComponent(value)
          : REDACTED;
    }
  }
  return path + query;
}

/** A path no route matched, with everything after its collection redacted. */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf("?");
  if (queryAt < 0) return redactUnmatchedPath(url);
  return redactUnmatchedPath(url.slice(0, queryAt)) + redactQuery(url.slice(queryAt));
}

function redactUnmatchedPath(path: string): string {
  const segments = path.split("/").slice(1);
  const keep = segments[0] === "v1" ? 2 : 1;
  let shown = "";
  let i = 0;
  for (; i < keep && i < segments.length && collectionName.test(segments[i] ?? ""); i += 1)
    shown += `/${segments[i]}`;
  if (segments.slice(i).join("") === "") return segments.length > i ? `${shown}/` : shown;
  return `${shown}/${REDACTED}`;
}

/** The static files' wildcard is a file name of the reference page, never a secret. */
const publicParam = (param: string, value: string) => param === "*" || looksPublic(value, identifier);

const NO_KEYS: ReadonlySet<string> = new Set();
/** The query keys the matched route declares; none for a route without a querystring schema. */
function declaredQueryKeys(request: FastifyRequest): ReadonlySet<string> {
  const schema = request.routeOptions.schema as { querystring?: { properties?: object } } | undefined;
  const properties = schema?.querystring?.properties;
  return properties === undefined ? NO_KEYS : new Set(Object.keys(properties));
}

/**
 * `?limit=5&apikey=x` with every value redacted but the public-looking values of declared keys that
 * are not secret; keys compared decoded (`%72id` is rid).
 */
function redactQuery(query: string, declared: ReadonlySet<string> = NO_KEYS): string {
  return `?${query
    .slice(1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const name = decoded(key);
      if (!looksPublic(name, queryName)) return REDACTED;
      if (eq < 0) return pair;
      const shown =
        declared.has(name) &&
        !SECRET_QUERY_KEYS.has(name.toLowerCase()) &&
        looksPublic(decoded(pair.slice(eq + 1)), queryValue);
      return shown ? pair : `${key}=${REDACTED}`;
    })
    .join("&")}`;
}

/** Form-decoded text; text that does not decode (a stray %) is checked as sent. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

function partsOf(pattern: string): readonly Part[] {
  let parts = patterns.get(pattern);
  if (parts === undefined) {
    parts = pattern.split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?|\*$)/).map((piece, i) => {
      if (i % 2 === 0) return piece;
      return { param: piece === "*" ? "*" : (piece.slice(1).split("(")[0] ?? "") };
    });
    patterns.set(pattern, parts);
  }
  return parts;
}
