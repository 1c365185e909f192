import { usageError } from "../cli/exit-codes.ts";

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The server's base URL and the enrolment path from an enrolment link
 * (`<public URL>/app/v1/enrolments/<code>`). Plain http is refused except to a loopback host: on
 * the way the one-time code could be taken and another key enrolled in the user's name.
 */
export function parseEnrolmentUrl(link: string): { server: string; path: string } {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw usageError(`${JSON.stringify(link)} is not a URL`);
  }
  const match = /^(.*)\/app\/v1\/enrolments\/([A-Za-z0-9_-]{1,100})$/.exec(url.pathname);
  if (match === null || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "")
    throw usageError("the enrolment link must be <server>/app/v1/enrolments/<code>, as Tessera made it");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopbackHosts.has(url.hostname)))
    throw usageError("the enrolment link must use https (plain http only to a loopback address)");
  return { server: `${url.origin}${match[1]}`, path: url.pathname };
}
