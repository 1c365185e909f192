import type { ConnectorContext } from "./connector.ts";

/**
 * A connector request's cookies, one jar per origin (scheme, host and port). The site's own
 * origin's jar is the one in the session (kept between steps); an origin the site redirects to
 * gets a jar for this request only, so no cookie of the site is ever sent to another origin (not
 * even another port of its host: browsers would, but a site's cookies carry its session), nor
 * another origin's kept.
 */
type Jar = Record<string, string>;

export class CookieJars {
  readonly #context: ConnectorContext;
  readonly #siteOrigin: string;
  readonly #others = new Map<string, Jar>();

  constructor(context: ConnectorContext, base: URL) {
    this.#context = context;
    this.#siteOrigin = base.origin;
  }

  #jar(url: URL): Jar {
    if (url.origin === this.#siteOrigin) return (this.#context.session.cookies ?? {}) as Jar;
    return this.#others.get(url.origin) ?? {};
  }

  header(url: URL): string | undefined {
    const pairs = Object.entries(this.#jar(url)).map(([name, value]) => `${name}=${value}`);
    return pairs.length === 0 ? undefined : pairs.join("; ");
  }

  keep(url: URL, headers: Headers): void {
    const jar = { ...this.#jar(url) };
    for (const line of headers.getSetCookie()) {
      const pair = line.split(";")[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq > 0) jar[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    if (url.origin === this.#siteOrigin) this.#context.session.cookies = jar;
    else this.#others.set(url.origin, jar);
  }
}
