import { IdentityStatusCode } from "@tessera/codes";

/**
 * The identity client a desktop or command-line program embeds (PRODUCT.md §6). This is the
 * skeleton: initialisation and its guard. Sign-in, the shared session store, tokens and offline
 * mode are built on it by the identity-client issue.
 */
export type IdentityMode = "interactive" | "batch";

export interface InitOptions {
  /** The Tessera server's base URL, e.g. https://id.example.com. */
  readonly serverUrl: string;
  /** The program's main OAuth client id, registered in the tenant. */
  readonly clientId: string;
  readonly mode: IdentityMode;
  readonly locale?: string;
  readonly scopes?: readonly string[];
}

export interface IdentityResult<T = undefined> {
  readonly status: IdentityStatusCode;
  readonly value?: T;
  readonly message?: string;
}

const clientIdPattern = /^[A-Za-z0-9._~-]{1,128}$/;

export class IdentityClient {
  #options: InitOptions | undefined;

  /** Validates the options; nothing else works before this succeeds. */
  init(options: InitOptions): IdentityResult {
    let url: URL;
    try {
      url = new URL(options.serverUrl);
    } catch {
      return { status: IdentityStatusCode.Failed, message: "serverUrl is not a URL" };
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return { status: IdentityStatusCode.Failed, message: "serverUrl must be http or https" };
    }
    if (!clientIdPattern.test(options.clientId)) {
      return { status: IdentityStatusCode.Failed, message: "clientId is malformed" };
    }
    if (options.mode !== "interactive" && options.mode !== "batch") {
      return { status: IdentityStatusCode.Failed, message: "mode must be interactive or batch" };
    }
    this.#options = options;
    return { status: IdentityStatusCode.Success };
  }

  get initialized(): boolean {
    return this.#options !== undefined;
  }

  /** The mode given to init, or IdentityClientNotInitialized before it. */
  mode(): IdentityResult<IdentityMode> {
    if (this.#options === undefined) return { status: IdentityStatusCode.IdentityClientNotInitialized };
    return { status: IdentityStatusCode.Success, value: this.#options.mode };
  }
}
