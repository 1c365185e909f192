/**
 * Request logging without secrets: session tokens travel in the path of /v1/sessions/{token} and
 * provisioning links in /provision/{token},
 * and recovery ids or tokens could appear in query strings; both are redacted before logging.
 */
const secretQuery = /([?&](?:token|mid|rid|password|code|otp)=)[^&]*/gi;

export function redactUrl(url: string): string {
  return url
    .replace(/(\/sessions\/)[^/?]+/, "$1[redacted]")
    .replace(/(\/provision\/)[^/?]+/, "$1[redacted]")
    .replace(secretQuery, "$1[redacted]");
}
