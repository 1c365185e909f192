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
  tokensTitle: "Personal access tokens",
  tokensIntro:
    "A personal access token lets a program act as you in one app. Keep it as secret as your password.",
  tokensNone: "You have no personal access tokens.",
  tokensName: "Name",
  tokensApp: "App",
  tokensState: "State",
  tokensExpires: "Expires",
  tokensLastUsed: "Last used",
  tokensNever: "never",
  tokensStateLive: "active",
  tokensStateExpired: "expired",
  tokensStateRevoked: "revoked",
  tokensRevoke: "Revoke {name}",
  tokensCreateTitle: "Create a token",
  tokensDays: "Valid for how many days (1 to {max})",
  tokensCreate: "Create token",
  tokensCreated: "Your new token is below. Copy it now: it will not be shown again.",
  tokensNoApps: "No app accepts personal access tokens yet.",
  tokensProblemName: "Give the token a name.",
  tokensProblemDays: "Choose a number of days from 1 to {max}.",
  tokensProblemApp: "Choose an app from the list.",
  tokensProblemLimit: "You have as many tokens as allowed. Revoke one first.",
  tokensSignInFailed: "The sign-in did not complete.",
  tokensTryAgain: "Try again",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = { readonly [key in MessageKey]: string };
