import type { CatalogId, CodeInfo } from "./code-info.ts";
import { describe } from "./lookup.ts";

export interface TesseraErrorOptions {
  /** The catalog of `code`; inferred from the value range when omitted. */
  readonly catalog?: CatalogId;
  /** Overrides the catalog description; say what happened, never include a secret. */
  readonly message?: string;
  /** The request field at fault, for malformed input. */
  readonly field?: string;
  /**
   * When the refused request may be tried again (epoch ms), for a temporary lock: the server's
   * error handler answers with Retry-After and `lockedUntil`. Absent for a lock that only an
   * administrator can lift.
   */
  readonly retryAt?: number;
  /**
   * Every problem of a refused request, when there are several (the first one is `field` and the
   * message): a server answers them all at once in the envelope's `errors`.
   */
  readonly problems?: readonly { readonly field: string; readonly message: string }[];
  readonly cause?: unknown;
}

/**
 * The error servers and clients throw: it carries a catalog code, so whoever catches it can answer
 * with the right envelope without guessing. Unknown codes are a programming error and throw.
 */
export class TesseraError extends Error {
  readonly code: number;
  readonly info: CodeInfo;
  readonly field: string | undefined;
  readonly retryAt: number | undefined;
  readonly problems: readonly { readonly field: string; readonly message: string }[] | undefined;

  constructor(code: number, options: TesseraErrorOptions = {}) {
    const info = describe(code, options.catalog);
    if (info === undefined) throw new RangeError(`unknown status code ${code}`);
    super(options.message ?? info.description, options.cause === undefined ? {} : { cause: options.cause });
    this.name = info.key;
    this.code = code;
    this.info = info;
    this.field = options.field;
    this.retryAt = options.retryAt;
    this.problems = options.problems;
  }

  get httpStatus(): number {
    return this.info.httpStatus ?? 500;
  }

  get publicMessage(): string {
    return this.info.publicMessage;
  }

  static is(value: unknown): value is TesseraError {
    return value instanceof TesseraError;
  }
}
