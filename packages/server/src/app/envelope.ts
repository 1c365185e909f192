import { type ApiCode, ApiReturnCode, describe } from "@tessera/codes";

/**
 * The body shape of every API response (PRODUCT.md §4): the catalog code, its published name and
 * a message, next to the payload.
 */
export interface Envelope {
  readonly errorCode: number;
  readonly errorName: string;
  readonly errorMessage: string;
  readonly field?: string;
  /** A temporary lock's end (RFC 3339), on lock answers; they carry Retry-After too. */
  readonly lockedUntil?: string;
}

/** Unknown codes are a programming error and throw. */
export function envelope(code: ApiCode | number, message?: string, field?: string): Envelope {
  const info = describe(code, "api");
  if (info === undefined) throw new RangeError(`unknown API code ${code}`);
  return {
    errorCode: info.value,
    errorName: info.name,
    errorMessage: message ?? info.description,
    ...(field === undefined ? {} : { field }),
  };
}

/** A success body: the envelope with code 0 and the payload beside it. */
export function success<T extends object>(payload: T, code: ApiCode = ApiReturnCode.Success): Envelope & T {
  return { ...envelope(code), ...payload };
}

/** JSON-schema properties of the envelope, for route response schemas. */
export const envelopeProperties = {
  errorCode: { type: "integer" },
  errorName: { type: "string" },
  errorMessage: { type: "string" },
  field: { type: "string" },
} as const;
