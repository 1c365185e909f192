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
  activationTitle: "Activate your account",
  activationPasswordIntro: "Choose a password for your account {username}.",
  activationNewPassword: "New password",
  activationConfirmPassword: "The same password again",
  activationPasswordMismatch: "The two passwords are not the same.",
  activationPasswordTooShort: "The password must have at least {min} characters.",
  activationTokenTitle: "Set up your authenticator app",
  activationTokenIntro:
    "Scan this QR code with your authenticator app, or type the key below into it. Then enter the code the app shows.",
  activationQrAlt: "QR code for your authenticator app",
  activationKey: "Key",
  activationCode: "Code from the app",
  activationCodeRejected: "That code was not accepted. Enter the code the app shows now.",
  activationDoneTitle: "Your account is ready",
  activationAppsIntro: "You can now sign in to these apps:",
  activationNoApps: "No apps are assigned to you yet; you can sign in as soon as one is.",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = { readonly [key in MessageKey]: string };
