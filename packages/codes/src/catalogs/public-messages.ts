/**
 * The generic sentences end-user surfaces show. Security-sensitive codes share a few of them on
 * purpose: a person at a login page must not learn which factor failed, whether an account
 * exists, or whether it is locked.
 */
export const publicMessages = {
  ok: "Done.",
  signInFailed: "Sign-in failed. Check your details and try again.",
  tooManyAttempts: "Too many attempts. Please wait a while and try again.",
  // Account and token locks: temporary or until an administrator lifts them, without saying which.
  tooManyFailures: "Too many failed attempts. Try again later, or contact your administrator.",
  accountUnavailable: "This account cannot be used to sign in. Contact your administrator.",
  accessDenied: "Access is not allowed at this time or from this place. Contact your administrator.",
  badRequest: "The request could not be processed. Check what you entered and try again.",
  notFound: "The requested item was not found.",
  conflict: "This cannot be done in the current state. Refresh and try again.",
  deliveryFailed: "We could not send the message. Please try again later.",
  serverFault: "Something went wrong on our side. Please try again later.",
  deviceProblem: "This authentication device cannot be used. Contact your administrator.",
  recoveryLinkInvalid: "This link is invalid or has expired. Request a new one.",
  // Only an administrator can invite again: the person cannot request a new activation link.
  activationLinkInvalid:
    "This activation link is invalid, used or expired. Ask your administrator for a new one.",
  securityKeyFailed: "The security key could not be verified. Try again.",
  passwordExpired: "Your password has expired. Choose a new one.",
} as const;

export type PublicMessageKey = keyof typeof publicMessages;
