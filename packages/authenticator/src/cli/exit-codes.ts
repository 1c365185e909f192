/**
 * tessera-authenticator's exit codes (docs/authenticators.md, "The reference authenticator app"):
 * a script branches on these without parsing output.
 */
export const ExitCode = {
  /** Done: enrolled, listed, answered as asked, or `watch --count` saw its requests. */
  done: 0,
  /**
   * The server answered and refused (an error envelope: unknown or expired request, signature
   * refused, rate limit…), or recorded another outcome than the one asked (a wrong number ends a
   * sign-in request rejected).
   */
  refused: 1,
  /** The command line is wrong (unknown command or option, a malformed value, a missing --number). */
  usage: 2,
  /**
   * The local state cannot be used: nothing enrolled, an unknown --account, or a state directory
   * or key file that others could read (it is never loosened or repaired silently).
   */
  state: 3,
  /** The server cannot be reached, or its answer is not the protocol's (no JSON envelope). */
  unreachable: 4,
} as const;

/** A failure that ends the command with its exit code and a one-line message on stderr. */
export class CliFailure extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The server's error envelope, kept whole so that the message names its code. */
export class ServerRefusal extends CliFailure {
  readonly errorCode: number;
  readonly errorName: string;
  constructor(errorCode: number, errorName: string, message: string) {
    super(ExitCode.refused, `${message} [${errorName} ${errorCode}]`);
    this.errorCode = errorCode;
    this.errorName = errorName;
  }
}

export const usageError = (message: string) => new CliFailure(ExitCode.usage, message);
export const stateError = (message: string) => new CliFailure(ExitCode.state, message);
