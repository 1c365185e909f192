/** What a program passes to `init` (docs/identity-client.md, "init"). */
export type IdentityMode = "interactive" | "batch";

export interface InitOptions {
  /** The tenant's issuer, e.g. https://id.example.com/oidc/<tenant id> (`tessera app show` prints it). */
  readonly issuer: string;
  /** The program's main client id: a native app of the tenant. */
  readonly clientId: string;
  readonly mode: IdentityMode;
  /** BCP 47 language of the sign-in pages and the success page (en, de, es); default en. */
  readonly locale?: string;
  /** Scopes asked for; default openid profile email offline_access. */
  readonly scopes?: readonly string[];
  /** Where the shared session store lives; default the user's profile directory. */
  readonly storeDir?: string;
  /** How long one request to the server may take, in milliseconds; default 10000. */
  readonly timeoutMs?: number;
  /** Batch mode: a personal access token (else the TESSERA_PERSONAL_ACCESS_TOKEN variable). */
  readonly personalAccessToken?: string;
  /** Batch mode: the client secret of a confidential app (else TESSERA_CLIENT_SECRET). */
  readonly clientSecret?: string;
  /** Batch mode: the program needs nobody signed in (NoAuthentication instead of a token). */
  readonly authentication?: "required" | "none";
  /** Interactive: told the user code when sign-in runs on the device grant (else printed to stderr). */
  readonly onDeviceCode?: (prompt: DeviceCodePrompt) => void;
  /** Interactive: the command that opens the system browser (else $BROWSER, else the platform's opener). */
  readonly browser?: string;
  /** Interactive: the Node executable that runs the sign-in helper process (Electron: set it). */
  readonly helperExecPath?: string;
  /**
   * A fetch the client uses for every request to the server (a corporate proxy's agent, say);
   * default the global fetch. A TypeError it rejects with is a network failure (the Fetch
   * standard's); anything else it throws is the host's own failure: UnexpectedException (an Error)
   * or UnknownException (anything else), never a network code.
   */
  readonly fetch?: typeof globalThis.fetch;
}

export interface DeviceCodePrompt {
  readonly userCode: string;
  readonly verificationUri: string;
  readonly verificationUriComplete?: string;
  readonly expiresAt: number;
}

/** The options with defaults applied. */
export interface ResolvedOptions extends InitOptions {
  readonly issuerUrl: URL;
  readonly locale: string;
  readonly scopes: readonly string[];
  readonly timeoutMs: number;
  /**
   * The fetch every request to the server goes through: the host's `fetch` (or the global one)
   * with `timeoutMs` applied, its host failures kept apart from network failures (setup/host-fetch.ts).
   */
  readonly serverFetch: typeof globalThis.fetch;
}

export const DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access"] as const;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 120_000;
export const MAX_SCOPES = 20;
/** The languages the sign-in and success pages speak; any other valid tag falls back to en. */
export const KNOWN_LOCALES = ["en", "de", "es"] as const;
