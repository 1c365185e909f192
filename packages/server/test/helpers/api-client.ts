import assert from "node:assert/strict";
import { recordObservedEnvelope } from "@tessera/codes/coverage";

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & { errorCode: number; errorName: string; errorMessage: string };
}

/**
 * Real HTTP against a running server. Every response must carry the envelope; its codes are
 * recorded for the status-code coverage report, attributed to the calling scenario, with the
 * method, path and HTTP status that answered them (for the documented-codes gate).
 */
export async function apiRequest(
  url: string,
  init: RequestInit & { scenario: string },
): Promise<ApiResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: ApiResponse["body"];
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(
      `${init.method ?? "GET"} ${url} answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`,
    );
  }
  assert.equal(typeof body.errorCode, "number", "errorCode");
  assert.equal(typeof body.errorName, "string", "errorName");
  assert.equal(typeof body.errorMessage, "string", "errorMessage");
  // A success's published outcome (`outcome.code`) is observed as much as an errorCode is; the
  // request too, so the full run can check that /openapi.json documents the code for its route.
  recordObservedEnvelope(body, init.scenario, {
    method: (init.method ?? "GET").toUpperCase(),
    path: new URL(url).pathname,
    status: response.status,
  });
  return { status: response.status, headers: response.headers, body };
}

/**
 * A caller bound to one server and one API key: `(method, path, scenario, body?)`, JSON in and out.
 * `timeoutMs` fails a request that does not answer in time instead of letting it hang.
 */
export function keyedClient(baseUrl: string, apiKey: string, options: { timeoutMs?: number } = {}) {
  return (method: string, path: string, scenario: string, body?: unknown): Promise<ApiResponse> =>
    apiRequest(`${baseUrl}${path}`, {
      method,
      scenario,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
    });
}

/** The published outcome a success carries beside errorCode 0 (`outcome.code`), if any. */
export function outcomeOf(response: ApiResponse): number | undefined {
  const outcome = response.body.outcome as { code?: number } | undefined;
  return outcome?.code;
}

/** A success (errorCode 0) whose published outcome is `code` (e.g. 9045 Provisioned). */
export function assertOutcome(response: ApiResponse, code: number, message?: string): void {
  assert.equal(response.body.errorCode, 0, message ?? JSON.stringify(response.body));
  assert.equal(outcomeOf(response), code, message ?? JSON.stringify(response.body));
}
