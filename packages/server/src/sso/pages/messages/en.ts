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
  signInFailed: "The username or password is not correct, or this account cannot sign in now.",
  tooManyAttempts: "Too many attempts. Please wait a minute and try again.",
  signInExpired: "This sign-in is no longer valid. Please go back to the app and start again.",
  secondFactorTitle: "Confirm it is you",
  codeFromApp: "Code from your authenticator app",
  codeFromToken: "Code from your security token",
  codeRejected: "The code was not accepted. Please try again with a new code.",
  accessDenied: "You cannot sign in to this app now. Please contact your administrator.",
  noSecondFactor:
    "Your account has no second factor set up, which this app requires. Please contact your administrator.",
  changePasswordTitle: "Choose a new password",
  passwordExpired: "Your password has expired. Please choose a new one.",
  newPassword: "New password",
  confirmPassword: "The same password again",
  passwordsDiffer: "The two passwords are not the same.",
  passwordRejected:
    "This password cannot be used. Please choose a longer one that you have not used here before.",
  enrolTitle: "Set up your authenticator app",
  enrolIntro:
    "Scan the QR code with your authenticator app, or type in the key below, then enter the code the app shows.",
  qrAlt: "QR code for your authenticator app",
  secretKey: "Key",
  consentTitle: "Allow access",
  consentIntro: "{app} asks for access to your account:",
  allow: "Allow",
  deny: "Deny",
  scopeOpenid: "Your user identifier",
  scopeProfile: "Your name and username",
  scopeEmail: "Your e-mail address",
  scopeOfflineAccess: "Access while you are not signed in",
  forgotTitle: "Reset your password",
  forgotIntro:
    "Enter your username. If an account with it exists, we will send it an e-mail with a link to choose a new password.",
  sendLink: "Send the link",
  forgotSent:
    "If an account with this username exists, an e-mail with a link to choose a new password is on its way.",
  backToSignIn: "Back to sign-in",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = { readonly [key in MessageKey]: string };
