/**
 * The messages between signIn (the parent) and the sign-in helper process (redirect-helper.ts),
 * over Node's IPC channel (JSON). The helper listens on the loopback interface, launches the
 * browser and holds the browser's redirect until the parent says how the sign-in ended, so that
 * the page the person sees tells the truth.
 *
 * helper -> parent: listening (its port), browserFailed, callback (the redirect's query, state
 * already checked), unusable (a redirect that cannot be used: wrong state, not a GET, …).
 * parent -> helper: open (the browser command and the state to expect), outcome (the page to show).
 */
export type HelperMessage =
  | { readonly type: "listening"; readonly port: number }
  | { readonly type: "browserFailed"; readonly message: string }
  | { readonly type: "callback"; readonly query: string }
  | { readonly type: "unusable"; readonly message: string };

export type ParentMessage =
  | {
      readonly type: "open";
      readonly argv: readonly string[];
      readonly state: string;
      readonly locale: string;
    }
  | { readonly type: "outcome"; readonly page: PageKind };

/** Which page the browser is shown at the end: signed in, cancelled, or failed. */
export type PageKind = "success" | "cancelled" | "failure";

/** The redirect URI's path (the native app registers http://127.0.0.1/callback, port left out). */
export const CALLBACK_PATH = "/callback";

export const isHelperMessage = (value: unknown): value is HelperMessage =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
