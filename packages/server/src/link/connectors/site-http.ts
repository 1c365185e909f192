import { CredentialStatus } from "@tessera/codes";
import type { TesseraConfig } from "../../config/tessera-config.ts";
import { AddressRefused } from "../../net/checked-lookup.ts";
import { trustedCa } from "./ca-bundle.ts";
import { type ConnectorContext, ConnectorFailure, type SiteIo } from "./connector.ts";
import { hopLookup, privateNetworksOff, refuseHop } from "./request-address-policy.ts";
import { CookieJars } from "./site-cookies.ts";
import { type Exchanged, exchange } from "./site-transport.ts";

/**
 * HTTP for connectors: cookies kept in the session, redirects followed hop by hop under the
 * address policy (request-address-policy.ts), answers read under link.maxResponseBytes (site-transport.ts),
 * and transport failures turned into credential statuses: refused, reset or an untrusted
 * certificate: Unavailable; the step's deadline: ConnectionTimeout; what the limits or the
 * address policy refuse: Error.
 *
 * What belongs to the site stays with the site's origin (scheme, host AND port): its cookies, its
 * own CA, and above all a request's body, which for OFX is the sign-on with the user's login and
 * password. A request with a body is never redirected to another origin, whatever the 3xx: 307
 * and 308 would send the body there; 301/302/303 would continue as a bodiless GET, which cannot
 * carry a Direct Connect answer, so a site that does so is misconfigured or compromised, and a
 * clear Error says so better than an unreadable answer. A GET redirected elsewhere is followed
 * (as browsers do), without the site's cookies or CA.
 */
export interface SiteResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface SiteRequestInit {
  readonly method?: string;
  readonly body?: string;
  readonly contentType?: string;
  /** manual: a 3xx is handed back as it is, for a connector that reads Location itself. */
  readonly redirect?: "follow" | "manual";
}

/** The limits the configuration sets for connector requests. */
export const siteIoOf = (
  link: Pick<TesseraConfig["link"], "maxResponseBytes" | "maxRedirects" | "siteAllowPrivateNetworks">,
): SiteIo => ({
  maxResponseBytes: link.maxResponseBytes,
  maxRedirects: link.maxRedirects,
  allowPrivateNetworks: link.siteAllowPrivateNetworks,
});

const redirects = new Set([301, 302, 303, 307, 308]);

function fail(status: CredentialStatus, message: string): never {
  throw new ConnectorFailure(status, message);
}

/** What a transport error means for the credential. */
function failure(context: ConnectorContext, url: URL, error: unknown): ConnectorFailure {
  if (error instanceof ConnectorFailure) return error;
  if (context.signal.aborted)
    return new ConnectorFailure(CredentialStatus.ConnectionTimeout, "the site did not answer in time");
  if (error instanceof AddressRefused)
    return new ConnectorFailure(CredentialStatus.Error, `${error.message} (${privateNetworksOff})`);
  const code = (error as { code?: string }).code ?? "network error";
  if (untrusted.has(code))
    return new ConnectorFailure(
      CredentialStatus.Unavailable,
      `the site's certificate is not trusted (${code}); a site behind its own CA needs it in tls.ca`,
    );
  return new ConnectorFailure(
    CredentialStatus.Unavailable,
    `the site cannot be reached (${code}, ${url.host})`,
  );
}

/** Certificate verification failures (OpenSSL's codes as node reports them). */
const untrusted = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export async function siteRequest(
  context: ConnectorContext,
  path: string,
  init: SiteRequestInit = {},
): Promise<SiteResponse> {
  const { io } = context;
  const base = new URL(context.baseUrl);
  const cookies = new CookieJars(context, base);
  let url = new URL(path, base);
  let from: URL | undefined;
  let method = init.method ?? "GET";
  let body = init.body;
  let contentType = init.contentType;
  // The last check (context.beforeSend), once connected: its refusal is thrown as it is, never
  // taken for a transport failure.
  let refusal: { error: unknown } | undefined;
  const beforeSend =
    context.beforeSend === undefined
      ? undefined
      : () => {
          try {
            context.beforeSend?.();
          } catch (error) {
            refusal = { error };
            throw error;
          }
        };
  for (let hop = 0; ; hop += 1) {
    // Fencing (jobs/job-lease.ts): every request, redirects included, first asks whether the job
    // is still this run's; it throws once it is not.
    await context.beforeRequest?.();
    const exempt = context.site.sandbox && url.origin === base.origin;
    const refused = refuseHop({ url, from, exempt }, io.allowPrivateNetworks);
    // The site's own address (not a redirect) refused: its configuration, no retry helps.
    if (refused !== undefined && from === undefined)
      throw new ConnectorFailure(
        CredentialStatus.Error,
        `the site's configuration is refused (an operator must change the site's URL): ${url.host}: ${refused}`,
        { permanent: true },
      );
    if (refused !== undefined)
      fail(CredentialStatus.Error, `the request to ${url.host} is refused: ${refused}`);
    const headers: Record<string, string> = { accept: "application/json", "accept-encoding": "identity" };
    const cookie = cookies.header(url);
    if (cookie !== undefined) headers.cookie = cookie;
    if (contentType !== undefined) headers["content-type"] = contentType;
    let answer: Exchanged;
    try {
      answer = await exchange({
        url,
        method,
        headers,
        body,
        lookup: hopLookup({ url, from, exempt }, io.allowPrivateNetworks),
        // The site's own CA is trusted on the site's own origin only: not on another port of its
        // host, nor on an origin it redirects to.
        ca: url.origin === base.origin ? trustedCa(context.site) : undefined,
        maxBytes: io.maxResponseBytes,
        signal: context.signal,
        beforeSend,
      });
    } catch (error) {
      if (refusal !== undefined) throw refusal.error;
      throw failure(context, url, error);
    }
    cookies.keep(url, answer.headers);
    const location = answer.headers.get("location");
    if (!redirects.has(answer.status) || location === null || init.redirect === "manual")
      return { status: answer.status, headers: answer.headers, text: new TextDecoder().decode(answer.body) };
    if (hop >= io.maxRedirects)
      fail(
        CredentialStatus.Error,
        `the site redirected more than link.maxRedirects (${io.maxRedirects}) times`,
      );
    from = url;
    url = URL.canParse(location, url.href)
      ? new URL(location, url)
      : fail(CredentialStatus.Error, "the site redirected to an address that is not a URL");
    if (url.origin !== from.origin && (body !== undefined || (method !== "GET" && method !== "HEAD")))
      fail(
        CredentialStatus.Error,
        `the site answered ${answer.status} to a ${method} with a redirect to another origin (${url.origin}): ` +
          "refused, a request's body (the sign-on, with the credential) is never sent to another origin; " +
          "if the site moved, its URL needs updating",
      );
    // As browsers do: 303 always, and 301/302 after a POST, continue with a GET without the body.
    if (answer.status === 303 || (method === "POST" && (answer.status === 301 || answer.status === 302))) {
      method = method === "HEAD" ? "HEAD" : "GET";
      body = undefined;
      contentType = undefined;
    }
  }
}

/** Reads JSON or fails with Error: a page the connector cannot read is not the user's fault. */
export function json<T>(response: SiteResponse): T {
  try {
    return JSON.parse(response.text) as T;
  } catch {
    throw new ConnectorFailure(
      CredentialStatus.Error,
      `the site answered ${response.status} with a body that is not JSON`,
    );
  }
}

/** A 503 is maintenance when the site names its window (Retry-After, seconds), else plain unavailability. */
export function failOnUnavailable(response: SiteResponse): void {
  if (response.status !== 503) return;
  const seconds = Number(response.headers.get("retry-after") ?? Number.NaN);
  if (Number.isFinite(seconds) && seconds >= 0)
    throw new ConnectorFailure(
      CredentialStatus.UndergoingMaintenance,
      "the site is in a maintenance window",
      {
        retryAfterMs: seconds * 1000,
      },
    );
  throw new ConnectorFailure(CredentialStatus.Unavailable, "the site is unavailable");
}
