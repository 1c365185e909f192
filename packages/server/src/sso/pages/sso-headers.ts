import { pageHeaders } from "../../pages/page-routes.ts";

/**
 * The SSO pages' headers: the end-user pages' strict set (pages/page-routes.ts), with two
 * differences.
 * - A sign-in or sign-out form posts to Tessera, which answers with a redirect to the app (its
 *   redirect_uri or post_logout_redirect_uri), and browsers hold that redirect to the page's
 *   `form-action` too: with `form-action 'self'` alone, Chromium blocks the last hop to the app.
 *   So the page names exactly the app origins its form may end up at, and no others.
 * - `Referrer-Policy: same-origin` rather than `no-referrer`: under no-referrer a browser sends
 *   `Origin: null` with every form post, even to the page's own origin, and the sign-in's
 *   cross-site check (interactions/csrf.ts) rightly refuses that. Nothing leaves the origin either
 *   way: a cross-origin request (the redirect to the app) still carries no referrer.
 */
const strict = pageHeaders["content-security-policy"];

/** The CSP source for where a redirect URI lands: its origin, or its scheme for a native app's. */
export function formTargetSource(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  // A native app's loopback URI registered without a port is matched on any port (RFC 8252 §7.3,
  // docs/sso.md "Apps"): the program listens where it can, so the form may end at any port there.
  // A CSP source without a port means the default port only, which Chromium enforces.
  if (
    url.protocol === "http:" &&
    url.port === "" &&
    /^(127\.0\.0\.1|\[::1\])$/.test(url.hostname) &&
    /^http:\/\/(127\.0\.0\.1|\[::1\])\//.test(uri)
  )
    return `${url.origin}:*`;
  if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
  // A private-use scheme (com.example.app:/callback, RFC 8252): its origin is opaque. Schemes
  // that run or embed content are never a form's target.
  if (["javascript:", "data:", "blob:", "filesystem:", "about:"].includes(url.protocol)) return undefined;
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
}

export function ssoPageHeaders(formTargets: readonly string[] = []): typeof pageHeaders {
  const sources = [...new Set(formTargets.map(formTargetSource).filter((s) => s !== undefined))];
  const csp =
    sources.length === 0
      ? strict
      : strict.replace("form-action 'self'", `form-action 'self' ${sources.join(" ")}`);
  return { ...pageHeaders, "referrer-policy": "same-origin", "content-security-policy": csp };
}

/**
 * For oidc-provider's responses that Tessera does not render (its auto-submitting form_post
 * page, used for response_mode=form_post and for sign-out without a session): nothing may load
 * and no script may run, except the one inline script whose hash the provider adds to
 * `script-src` itself (a source list with a hash ignores the `'none'`). No `form-action`: that
 * page posts to the app, wherever it is.
 */
export const providerResponseCsp =
  "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'";

/**
 * What oidc-provider's own HTML answers get besides providerResponseCsp (provider-faults.ts
 * adds them to every HTML answer that has not got the SSO pages' set): never cached, never
 * sniffed, never framed (older browsers ignore `frame-ancestors`). No Referrer-Policy: its
 * form_post page posts to the app, which may check that post's Origin, and a stricter policy
 * would turn it into `null`.
 */
export const providerHtmlHeaders = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
} as const;
