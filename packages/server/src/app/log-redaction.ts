/**
 * Request logging without secrets: session tokens travel in the path of /v1/sessions/{token} and
 * provisioning links in /provision/{token},
 * and recovery ids or tokens could appear in query strings; both are redacted before logging.
 */
const secretQuery = /([?&](?:token|mid|rid|password|code|otp)=)[^&]*/gi;

/** Runs for every logged request, so plain string search; the query's pattern only when there is one. */
export function redactUrl(url: string): string {
  const redacted = redactSegmentAfter(redactSegmentAfter(url, "/sessions/"), "/provision/");
  return redacted.includes("?") ? redacted.replace(secretQuery, "$1[redacted]") : redacted;
}

/** The path segment following the first `marker`, replaced by [redacted]. */
function redactSegmentAfter(url: string, marker: string): string {
  const at = url.indexOf(marker);
  if (at < 0) return url;
  const start = at + marker.length;
  let end = start;
  while (end < url.length && url[end] !== "/" && url[end] !== "?") end += 1;
  return end === start ? url : `${url.slice(0, start)}[redacted]${url.slice(end)}`;
}
