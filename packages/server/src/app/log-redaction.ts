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
 * any other, including one a future route adds, is [redacted].
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
const SECRET_QUERY_KEYS = new Set(["token", "mid", "rid", "password", "code", "otp"]);
const REDACTED = "[redacted]";
/** Collection names are lowercase words with hyphens; a random token almost never is one. */
const collectionName = /^[a-z][a-z0-9-]{0,31}$/;

type Part = string | { readonly param: string };
/** Route patterns split once each; there are as many as there are routes. */
const patterns = new Map<string, readonly Part[]>();

/** Runs for every logged request, so cheap on the common path: no query, a known route. */
export function redactedRequestUrl(request: FastifyRequest): string {
  const url = request.url;
  const queryAt = url.indexOf("?");
  const query = queryAt < 0 ? "" : redactQuery(url.slice(queryAt));
  const pattern = request.routeOptions.url;
  if (pattern === undefined) return redactUnmatchedPath(queryAt < 0 ? url : url.slice(0, queryAt)) + query;
  const params = request.params as Record<string, unknown> | undefined;
  let path = "";
  for (const part of partsOf(pattern)) {
    if (typeof part === "string") path += part;
    else
      path += PUBLIC_PARAMS.has(part.param)
        ? encodeURIComponent(String(params?.[part.param] ?? ""))
        : REDACTED;
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

/** `?a=1&token=x` with the values of secret keys redacted, keys compared decoded (`%72id` is rid). */
function redactQuery(query: string): string {
  return `?${query
    .slice(1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_QUERY_KEYS.has(decodeKey(key)) ? `${key}=${REDACTED}` : pair;
    })
    .join("&")}`;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replaceAll("+", " ")).toLowerCase();
  } catch {
    return key.toLowerCase();
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
