import { isIP } from "node:net";
import { ConfigError } from "../config/load-config.ts";
import type { TesseraConfig } from "../config/tessera-config.ts";

/**
 * The base URL of links that leave the server (recovery e-mails, provisioning links). Built with
 * the URL API, never by pasting strings: an IPv6 host needs brackets, and a pasted `http://::1:0`
 * is no URL at all, which once made recovery fail only for known users (an enumeration oracle).
 */

/** The configured publicUrl, checked at start: a base that links can be appended to. */
export function checkedPublicUrl(raw: string): URL {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  const problem =
    url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")
      ? "must be an http: or https: URL"
      : url.username !== "" || url.password !== ""
        ? "must not carry a user name or password"
        : url.search !== "" || url.hash !== ""
          ? "must not have a query or a fragment"
          : undefined;
  if (problem !== undefined || url === undefined) throw new ConfigError([`publicUrl ${problem}`]);
  return url;
}

/** True for addresses that mean "every interface": no client can reach the server at them. */
export const isWildcardHost = (host: string): boolean =>
  host === "" ||
  host === "0" ||
  host === "0.0.0.0" ||
  (isIP(host) === 6 &&
    URL.canParse(`http://[${host}]`) &&
    ["[::]", "[::ffff:0:0]"].includes(new URL(`http://[${host}]`).hostname));

/**
 * The default when publicUrl is unset: the listen address and the port actually bound (not the
 * configured 0). A wildcard host becomes the loopback of its family, reachable from this machine
 * only; runServer warns that e-mailed links then need publicUrl.
 */
export function defaultPublicUrl(host: string, port: number): URL {
  const name = isWildcardHost(host) ? (host.includes(":") ? "::1" : "127.0.0.1") : host;
  const literal = isIP(name) === 6 ? `[${name}]` : name;
  if (!URL.canParse(`http://${literal}`))
    throw new ConfigError([`host ${JSON.stringify(host)} cannot appear in a URL: set publicUrl`]);
  const url = new URL(`http://${literal}`);
  url.port = String(port);
  return url;
}

/** The base every process starts with; runServer replaces a default once the port is bound. */
export const initialPublicUrl = (config: TesseraConfig): string =>
  (config.publicUrl === undefined
    ? defaultPublicUrl(config.host, config.port)
    : checkedPublicUrl(config.publicUrl)
  ).toString();

/**
 * A link under the base: the path is appended to the base's own path (a publicUrl of
 * https://example.com/tessera/ keeps /tessera), and parameters are encoded by the URL API.
 */
export function publicLink(base: string, path: string, params: Record<string, string> = {}): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
