import { CredentialStatus } from "@tessera/codes";
import { type ConnectorContext, ConnectorFailure } from "./connector.ts";

/**
 * HTTP for connectors: cookies kept in the session, and transport failures turned into credential
 * statuses (refused or reset: Unavailable; the step's deadline: ConnectionTimeout).
 */
export interface SiteResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

function cookieHeader(context: ConnectorContext): string | undefined {
  const jar = (context.session.cookies ?? {}) as Record<string, string>;
  const pairs = Object.entries(jar).map(([name, value]) => `${name}=${value}`);
  return pairs.length === 0 ? undefined : pairs.join("; ");
}

function keepCookies(context: ConnectorContext, headers: Headers): void {
  const jar = { ...((context.session.cookies ?? {}) as Record<string, string>) };
  for (const line of headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    const eq = pair.indexOf("=");
    if (eq > 0) jar[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  context.session.cookies = jar;
}

export async function siteRequest(
  context: ConnectorContext,
  path: string,
  init: { method?: string; body?: string; contentType?: string } = {},
): Promise<SiteResponse> {
  await context.beforeRequest?.(); // fencing (job-lease.ts): throws once the job is not this run's
  const headers: Record<string, string> = { accept: "application/json" };
  const cookie = cookieHeader(context);
  if (cookie !== undefined) headers.cookie = cookie;
  if (init.contentType !== undefined) headers["content-type"] = init.contentType;
  try {
    const response = await fetch(new URL(path, context.baseUrl), {
      method: init.method ?? "GET",
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: "manual",
      signal: context.signal,
    });
    keepCookies(context, response.headers);
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    if (context.signal.aborted)
      throw new ConnectorFailure(CredentialStatus.ConnectionTimeout, "the site did not answer in time");
    throw new ConnectorFailure(
      CredentialStatus.Unavailable,
      `the site cannot be reached (${(error as { cause?: { code?: string } }).cause?.code ?? "network error"})`,
    );
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
