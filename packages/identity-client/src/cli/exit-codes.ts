import { IdentityStatusCode } from "@tessera/codes";

/**
 * tessera-login's exit codes (docs/identity-client.md, "The CLI"): a script branches on these
 * without parsing output. The identity status code itself is in `--json` output.
 */
export const ExitCode = {
  /** Done: Success, or NoAuthentication in batch mode when the program needs nobody. */
  done: 0,
  /**
   * Failed for another reason (the message and, with --json, the identity code say which),
   * ClientError included: the server answered and refused (a scope or grant type the app lacks),
   * which asking again will not change.
   */
  failed: 1,
  /** The command line is wrong (unknown command or option, missing --issuer or --client-id, a wrong value). */
  usage: 2,
  /** Nobody is signed in, or the sign-in is over (AuthDataEmpty, SignInRequired): run `signin`. */
  signInRequired: 3,
  /** Offline: the server cannot be reached, the answer comes from the signed-in cache (grace period). */
  offline: 4,
  /** The server cannot be reached or failed (5xx, unusable answer), and nothing cached could answer. */
  unreachable: 5,
} as const;

const unreachable = new Set<number>([
  IdentityStatusCode.ConnectionError,
  IdentityStatusCode.TimeOut,
  IdentityStatusCode.ServerError,
  IdentityStatusCode.UnknownError,
  IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized,
  IdentityStatusCode.TokenManagementInterfaceCouldNotBeInitialized,
]);

export function exitCodeOf(status: IdentityStatusCode): number {
  if (status === IdentityStatusCode.Success || status === IdentityStatusCode.NoAuthentication)
    return ExitCode.done;
  if (status === IdentityStatusCode.Offline) return ExitCode.offline;
  if (status === IdentityStatusCode.SignInRequired || status === IdentityStatusCode.AuthDataEmpty)
    return ExitCode.signInRequired;
  if (unreachable.has(status)) return ExitCode.unreachable;
  return ExitCode.failed;
}
