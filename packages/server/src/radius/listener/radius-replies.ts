/**
 * The only texts a RADIUS reply carries (Reply-Message): generic, so that a reply tells an
 * attacker at the NAS nothing about why a sign-in failed (no user, wrong password, locked, wrong
 * code all read alike). The reason is in the audit trail.
 */
export const replyTexts = {
  rejected: "Access denied",
  enterCode: "Enter your one-time code",
  enterSentCode: "Enter the code that was sent to you",
  approvePush: (numberToMatch: number) =>
    `Approve the sign-in on your phone with the number ${numberToMatch}, then press Enter`,
  waitingForPush: "Approve the sign-in on your phone, then press Enter",
} as const;
