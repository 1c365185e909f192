/**
 * The sign-in pages' English text; the table every other language must match key for key (the
 * type checker holds de.ts and es.ts to it). `{name}` marks a value filled in when rendered.
 */
export const en = {
  signInTitle: "Sign in",
  signInTo: "Sign in to {app}",
  username: "Username",
  password: "Password",
  continue: "Continue",
  forgotPassword: "Forgot your password?",
  errorTitle: "This did not work",
  requestId: "Reference: {id}",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = { readonly [key in MessageKey]: string };
