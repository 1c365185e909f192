import { CliFailure, ExitCode, ServerRefusal } from "../cli/exit-codes.ts";

/** How long one ordinary request may take before the server counts as unreachable. */
export const REQUEST_TIMEOUT_MS = 30_000;

export const unreachable = (url: string, why: string) =>
  new CliFailure(ExitCode.unreachable, `cannot reach ${url}: ${why}`);

/**
 * The payload of a Tessera answer: every response is a JSON envelope {errorCode, errorName,
 * errorMessage, …}; a non-zero errorCode is the server's refusal (exit 1, with Retry-After when
 * rate limited), anything that is not an envelope means the server cannot be used (exit 4).
 */
export async function answerOf(url: string, response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw unreachable(url, `HTTP ${response.status} without a JSON answer`);
  }
  if (
    body === null ||
    typeof body !== "object" ||
    typeof (body as { errorCode?: unknown }).errorCode !== "number"
  )
    throw unreachable(url, `HTTP ${response.status} without a Tessera envelope`);
  const envelope = body as Record<string, unknown> & { errorCode: number };
  if (envelope.errorCode === 0) return envelope;
  const retryAfter = response.headers.get("retry-after");
  const message = String(envelope.errorMessage ?? "refused");
  throw new ServerRefusal(
    envelope.errorCode,
    String(envelope.errorName ?? "Unknown"),
    retryAfter === null ? message : `${message} (retry after ${retryAfter} s)`,
  );
}

export function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (error.name === "TimeoutError") return "no answer in time";
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
