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
  errorHint: "If this keeps happening, tell your administrator the reference above.",
  deviceTitle: "Connect a device",
  deviceEnterCode: "Enter the code your device shows.",
  deviceCode: "Code from your device",
  deviceCodeWrong: "This code is wrong, expired or already used. Check it and try again.",
  deviceAborted: "The sign-in on the device was cancelled.",
  deviceConfirmTitle: "Confirm the device",
  deviceConfirmText: "{app} wants to sign you in on a device. Your device should show this code:",
  deviceConfirmWarning: "If you did not start this, or the codes differ, choose Cancel.",
  deviceAllow: "Sign in on the device",
  cancel: "Cancel",
  deviceSuccessTitle: "Device connected",
  deviceSuccessText: "You are signed in on your device. You can close this page.",
  deviceSuccessTextApp: "You are signed in to {app} on your device. You can close this page.",
  signOutTitle: "Sign out",
  signOutQuestion: "Do you want to sign out?",
  signOutYes: "Sign out",
  signOutNo: "Stay signed in",
  signedOutTitle: "Signed out",
  signedOutText: "You are signed out. You can close this page.",
  signedOutTextApp: "You are signed out of {app}. You can close this page.",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = { readonly [key in MessageKey]: string };
