import { IdentityStatusCode } from "@tessera/codes";
import {
  batchAuthenticationData,
  batchFetch,
  batchGetAccessToken,
  batchUserProfile,
} from "./batch/batch-calls.ts";
import type { ClientContext } from "./client-context.ts";
import { type SessionEvent, watchSession } from "./events/session-events.ts";
import { authenticationData, isUserAuthenticated } from "./offline/session-state.ts";
import { getUserProfile } from "./profile/user-profile.ts";
import { fail, type IdentityResult } from "./results/identity-result.ts";
import type { AuthenticationData } from "./session/authentication-data.ts";
import type { UserProfile } from "./session/session-data.ts";
import { clientIdArgumentProblem, fetchArgumentsProblem } from "./setup/call-arguments.ts";
import type { IdentityMode, InitOptions } from "./setup/init-options.ts";
import { initialize } from "./setup/initialize.ts";
import { type SignInRequest, signIn } from "./signin/sign-in.ts";
import { getAccessToken, registerClientId } from "./tokens/access-token.ts";
import { authorisedFetch } from "./tokens/authorised-fetch.ts";
import { signOut } from "./tokens/sign-out.ts";

/**
 * The identity client a desktop or command-line program embeds (PRODUCT.md §6,
 * docs/identity-client.md). Every call answers an IdentityResult and never throws: an Error thrown
 * inside (a host callback, a bug) is UnexpectedException, anything else thrown UnknownException.
 */
export class IdentityClient {
  #context: ClientContext | undefined;
  #stopWatching: (() => void) | undefined;
  readonly #listeners = new Map<SessionEvent, Set<() => void>>();
  readonly #now: () => number;

  /** `now` is for tests of the clock; programs leave it out. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Discovers the issuer, checks the client id and opens the shared store. Nothing works before it. */
  init(options: InitOptions): Promise<IdentityResult> {
    return guarded(async () => {
      this.close();
      const result = await initialize(options, this.#now);
      if (result.value === undefined) return { ...result, value: undefined };
      // Another init of this client may have finished meanwhile: its watcher would be left
      // running (events twice, and after close()). The last init to finish is the client's.
      this.close();
      this.#context = result.value;
      this.#stopWatching = watchSession(result.value, (event) => {
        for (const listener of this.#listeners.get(event) ?? []) listener();
      });
      return { status: result.status, ...(result.message === undefined ? {} : { message: result.message }) };
    });
  }

  get initialized(): boolean {
    return this.#context !== undefined;
  }

  /** The mode given to init. */
  mode(): IdentityResult<IdentityMode> {
    if (this.#context === undefined) return notInitialized();
    return { status: IdentityStatusCode.Success, value: this.#context.options.mode };
  }

  /** Interactive sign-in: the system browser, or the device grant (`device`, or no browser). */
  signIn(request: SignInRequest = {}): Promise<IdentityResult<AuthenticationData>> {
    return this.#call((ctx) =>
      isBatch(ctx)
        ? Promise.resolve(
            fail(IdentityStatusCode.UnsupportedCall, "batch mode does not sign in interactively"),
          )
        : signIn(ctx, request),
    );
  }

  /** Signs out here and in every process of the program; `everywhere` also ends the server's session. */
  signOut(options: { everywhere?: boolean } = {}): Promise<IdentityResult> {
    return this.#call((ctx) => signOut(ctx, options));
  }

  isUserAuthenticated(): Promise<IdentityResult<boolean>> {
    return this.#call(isUserAuthenticated);
  }

  registerClientId(clientId: string): Promise<IdentityResult> {
    return this.#call((ctx) => {
      // Checked like getAccessToken's: nothing malformed reaches the tokens part.
      const problem = clientIdArgumentProblem<undefined>(clientId ?? null);
      if (problem !== undefined) return Promise.resolve(problem);
      return isBatch(ctx)
        ? Promise.resolve(
            fail(IdentityStatusCode.UnsupportedCall, "batch mode holds a token for the main client id only"),
          )
        : registerClientId(ctx, clientId);
    });
  }

  /** An access token for the main client id, or for a registered one. */
  getAccessToken(clientId?: string): Promise<IdentityResult<string>> {
    return this.#call((ctx) => {
      const problem = clientIdArgumentProblem<string>(clientId);
      if (problem !== undefined) return Promise.resolve(problem);
      return isBatch(ctx) ? batchGetAccessToken(ctx, clientId) : getAccessToken(ctx, clientId);
    });
  }

  /** fetch with the access token; on a 401 it refreshes once and retries once. */
  fetch(url: string | URL, init: RequestInit = {}): Promise<IdentityResult<Response>> {
    return this.#call((ctx) => {
      const problem = fetchArgumentsProblem<Response>(url, init);
      if (problem !== undefined) return Promise.resolve(problem);
      return isBatch(ctx) ? batchFetch(ctx, url, init) : authorisedFetch(ctx, url, init);
    });
  }

  getUserProfile(): Promise<IdentityResult<UserProfile>> {
    return this.#call((ctx) => (isBatch(ctx) ? batchUserProfile(ctx) : getUserProfile(ctx)));
  }

  authenticationData(): Promise<IdentityResult<AuthenticationData>> {
    return this.#call((ctx) => (isBatch(ctx) ? batchAuthenticationData(ctx) : authenticationData(ctx)));
  }

  /** Sign-ins and sign-outs, including those made by other processes of the program. */
  on(event: SessionEvent, listener: () => void): this {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener);
    this.#listeners.set(event, set);
    return this;
  }

  off(event: SessionEvent, listener: () => void): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** Stops watching the store (the process may then exit); init again to use the client. */
  close(): void {
    this.#stopWatching?.();
    this.#stopWatching = undefined;
    this.#context = undefined;
  }

  #call<T>(operation: (ctx: ClientContext) => Promise<IdentityResult<T>>): Promise<IdentityResult<T>> {
    const ctx = this.#context;
    if (ctx === undefined) return Promise.resolve(notInitialized());
    return guarded(() => operation(ctx));
  }
}

/** Batch mode's calls use the credentials this process holds (batch/), never the shared store. */
const isBatch = (ctx: ClientContext) => ctx.options.mode === "batch";

const notInitialized = <T>(): IdentityResult<T> =>
  fail(IdentityStatusCode.IdentityClientNotInitialized, "call init first");

/** Runs `operation`; what it throws becomes UnexpectedException (an Error) or UnknownException. */
async function guarded<T>(operation: () => Promise<IdentityResult<T>>): Promise<IdentityResult<T>> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof Error)
      return fail(IdentityStatusCode.UnexpectedException, `unexpected exception: ${error.name}`);
    return fail(IdentityStatusCode.UnknownException, "unknown exception (a non-Error was thrown)");
  }
}
