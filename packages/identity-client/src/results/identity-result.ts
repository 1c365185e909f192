import { IdentityStatusCode } from "@tessera/codes";

/**
 * What every call of the identity client answers: an identity status code, the value when there
 * is one, and for failures a message naming what went wrong (never a token, code or secret).
 * Nothing crosses the API as an exception (identity-client.ts turns throws into codes).
 */
export interface IdentityResult<T = undefined> {
  readonly status: IdentityStatusCode;
  readonly value?: T;
  readonly message?: string;
}

export const ok = <T>(
  value?: T,
  status: IdentityStatusCode = IdentityStatusCode.Success,
): IdentityResult<T> => (value === undefined ? { status } : { status, value });

export const fail = <T = never>(status: IdentityStatusCode, message: string): IdentityResult<T> => ({
  status,
  message,
});

/** Success, or Offline (the tokens are still usable locally): the two answers that carry a value. */
export const usable = (status: IdentityStatusCode): boolean =>
  status === IdentityStatusCode.Success || status === IdentityStatusCode.Offline;
