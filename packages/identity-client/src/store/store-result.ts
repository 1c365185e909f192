import type { IdentityStatusCode } from "@tessera/codes";

/** A store operation's outcome: the value, or the identity code of what failed and why. */
export type StoreResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: IdentityStatusCode; readonly message: string };

export const stored = <T>(value: T): StoreResult<T> => ({ ok: true, value });
export const storeFailure = <T = never>(status: IdentityStatusCode, message: string): StoreResult<T> => ({
  ok: false,
  status,
  message,
});
