/**
 * A browser's part in plain HTTP for the SSO pages: keeps cookies (the provider's session and
 * interaction cookies), asks for HTML, and does not follow redirects so a test sees each step.
 */
export interface PageResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly location: string | undefined;
}

export class PageClient {
  readonly #cookies = new Map<string, string>();
  readonly #base: string;
  readonly #headers: Record<string, string>;

  constructor(base: string, headers: Record<string, string> = {}) {
    this.#base = base;
    this.#headers = headers;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.#send("GET", path, undefined, headers);
  }

  post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<PageResponse> {
    return this.#send("POST", path, new URLSearchParams(form).toString(), {
      "content-type": "application/x-www-form-urlencoded",
      ...headers,
    });
  }

  async #send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<PageResponse> {
    const url = new URL(path, this.#base);
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(url, {
      method,
      redirect: "manual",
      headers: { accept: "text/html", ...this.#headers, ...headers, ...(cookie === "" ? {} : { cookie }) },
      ...(body === undefined ? {} : { body }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return {
      status: response.status,
      headers: response.headers,
      text: await response.text(),
      location: response.headers.get("location") ?? undefined,
    };
  }
}

/** The hidden fields and action of the first form on a page (what a browser would post). */
export function formOf(page: string): { action: string; fields: Record<string, string> } {
  const action = /<form\b[^>]*\saction="([^"]*)"/.exec(page)?.[1] ?? "";
  const fields: Record<string, string> = {};
  for (const [, name = "", value = ""] of page.matchAll(
    /<input type="hidden" name="([^"]*)" value="([^"]*)"/g,
  )) {
    fields[name] = value;
  }
  return { action: action.replaceAll("&amp;", "&"), fields };
}
