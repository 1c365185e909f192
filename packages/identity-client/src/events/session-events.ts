import type { ClientContext } from "../client-context.ts";

/** The events an IdentityClient emits, whichever process of the program caused them. */
export type SessionEvent = "signedIn" | "signedOut";

/**
 * PROVISIONAL (foundation): emits nothing yet. The store issue's lock-and-events part watches the
 * store and emits `signedIn` / `signedOut` when the record's generation changes. Returns the stop.
 */
export function watchSession(_ctx: ClientContext, _emit: (event: SessionEvent) => void): () => void {
  return () => undefined;
}
