import type { ClientContext } from "../client-context.ts";
import type { SessionData } from "../session/session-data.ts";

/** The events an IdentityClient emits, whichever process of the program caused them. */
export type SessionEvent = "signedIn" | "signedOut";

/** What one look at the store showed: whether somebody is signed in, and in which sign-in. */
interface Seen {
  readonly signedIn: boolean;
  readonly generation: number;
}

/**
 * Watches the shared store and emits `signedIn` / `signedOut` for every sign-in and sign-out of
 * any process of the program (this one included). Returns the stop. `ready` (tests, tools) is
 * called once the watch runs: every change after it is emitted.
 *
 * The store replaces its file by an atomic rename and deletes it on sign-out, so the store watches
 * the DIRECTORY (store.watch), not the file's inode. A notification only says "look again": it is
 * debounced by re-reading the record, not by time. Reads never overlap; notifications arriving
 * during a read cause exactly one more read after it, so the last state is always seen.
 * What is emitted comes from comparing the record with the one seen before:
 * - tokens appear, or the generation changes while tokens stay (a sign-out and a new sign-in
 *   between two looks: signedOut, then signedIn); a refresh keeps the generation and emits nothing;
 * - tokens (or the whole file) disappear: signedOut.
 * A record that cannot be read (locked out, being discarded) is skipped: the next change is read.
 * The store's watcher is unref'd, so watching never keeps the process alive. Batch mode keeps no
 * store and so has no events.
 */
export function watchSession(
  ctx: ClientContext,
  emit: (event: SessionEvent) => void,
  ready?: () => void,
): () => void {
  const { store } = ctx;
  if (store === undefined) return () => undefined;
  let stopped = false;
  let stopWatching: (() => void) | undefined;
  let seen: Seen | undefined;
  let reading = false;
  let again = false;

  const readNow = async (): Promise<Seen | undefined> => {
    try {
      const read = await store.read();
      return read.ok ? summarise(read.value) : undefined;
    } catch {
      return undefined;
    }
  };
  const look = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    do {
      again = false;
      const now = await readNow();
      if (stopped || now === undefined) continue;
      const before = seen;
      seen = now;
      if (before !== undefined) for (const event of changes(before, now)) deliver(emit, event);
    } while (again && !stopped);
    reading = false;
  };
  // The baseline is read BEFORE the watch starts, and looked at again right after it started: a
  // change in between is seen by that look, any later one by a notification. A sign-in that
  // happened before watching began is no event.
  void (async () => {
    seen = await readNow();
    if (stopped) return;
    // The directory can be gone or unwatchable (no inotify watches left): this async start must
    // not reject unhandled (that ends the host program); the program works on without events.
    try {
      stopWatching = store.watch(() => void look());
    } catch (error) {
      process.emitWarning(
        `the session events cannot be watched (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
      return;
    }
    ready?.();
    await look();
  })();
  return () => {
    stopped = true;
    stopWatching?.();
  };
}

/** A listener that throws must not stop the watching: its error becomes a process warning. */
function deliver(emit: (event: SessionEvent) => void, event: SessionEvent): void {
  try {
    emit(event);
  } catch (error) {
    process.emitWarning(`a ${event} listener threw: ${error instanceof Error ? error.name : typeof error}`);
  }
}

const summarise = (data: SessionData | undefined): Seen => ({
  signedIn: data?.tokens !== undefined,
  generation: data?.generation ?? 0,
});

function changes(before: Seen, now: Seen): SessionEvent[] {
  if (!now.signedIn) return before.signedIn ? ["signedOut"] : [];
  if (!before.signedIn) return ["signedIn"];
  return now.generation === before.generation ? [] : ["signedOut", "signedIn"];
}
