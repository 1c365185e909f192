import type { Configuration } from "openid-client";
import type { ResolvedOptions } from "./setup/init-options.ts";
import type { SessionStore } from "./store/session-store.ts";

/**
 * Everything one initialised IdentityClient works with; each operation (signin/, tokens/, …) is a
 * function of it. `server` is undefined when init found the server unreachable and worked from the
 * store's cached discovery (every call then decides Offline or SignInRequired, offline/).
 */
export interface ClientContext {
  readonly options: ResolvedOptions;
  /** The shared store; undefined in batch mode (batch tokens live in this process only). */
  readonly store: SessionStore | undefined;
  /** openid-client's configuration for the issuer and main client id. */
  server: Configuration | undefined;
  /** Client ids registered with registerClientId in this process. */
  readonly registered: Set<string>;
  /** Batch mode: the access token this process holds, and until when. */
  batch?: { accessToken: string; expiresAt: number } | undefined;
  /** The clock: Date.now, unless a test passes another. */
  readonly now: () => number;
}
