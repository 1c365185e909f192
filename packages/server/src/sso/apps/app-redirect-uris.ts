import type { AppKind } from "./app.ts";

/**
 * Which redirect URIs an app may register (RFC 8252 for native apps, RFC 9700 §2.1 for all):
 * exact strings, compared by oidc-provider character for character, so a URI must be written the
 * way a URL parser writes it back (no case or trailing-slash variants that would never match);
 * no wildcards and no fragments; no user:password part.
 *
 * - native: the loopback interface by IP literal, `http://127.0.0.1/path` or `http://[::1]/path`
 *   (oidc-provider lets the port vary at use time for native apps, RFC 8252 §7.3: the program
 *   listens on whatever port is free), or a private-use scheme in reverse-domain form with a dot
 *   (`com.example.app:/cb`, §7.1). `localhost` is refused (§8.3: it may not resolve to loopback).
 * - browser and confidential: https, or plain http only on the loopback interface (a developer's
 *   machine; browsers keep `localhost` on loopback), with the exact port.
 */
const LOOPBACK_IPS = new Set(["127.0.0.1", "[::1]"]);
const WEB_LOOPBACKS = new Set([...LOOPBACK_IPS, "localhost"]);
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

/** Why the URI is refused, after its field name ("must be https …"), or undefined. */
export function redirectUriProblem(uri: string, kind: AppKind): string | undefined {
  if (uri.includes("*")) return "must not contain a wildcard (*): redirect URIs are exact";
  if (uri.includes("#")) return "must not contain a fragment (#)";
  const url = URL.parse(uri);
  if (url === null) return "is not an absolute URI";
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password";
  if (url.href !== uri) return `must be written as the URL parser writes it: ${url.href}`;
  if (kind === "native") return nativeProblem(url);
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && WEB_LOOPBACKS.has(url.hostname)) return undefined;
  return "must be https, or http on the loopback interface (127.0.0.1, [::1], localhost)";
}

function nativeProblem(url: URL): string | undefined {
  if (url.protocol === "http:" && LOOPBACK_IPS.has(url.hostname)) return undefined;
  if (url.protocol !== "http:" && url.protocol !== "https:" && PRIVATE_USE_SCHEME.test(url.protocol))
    return undefined;
  return "must be http://127.0.0.1[:port]/path or http://[::1][:port]/path (RFC 8252 loopback), or a private-use scheme with a dot (com.example.app:/callback)";
}
