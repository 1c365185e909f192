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
  /**
   * Every problem of a refused request, the first one being `field` and `errorMessage` (so a
   * client reading only those still works); at most MAX_LISTED_ERRORS.
   */
  readonly errors?: readonly FieldProblem[];
  /** A temporary lock's end (RFC 3339), on lock answers; they carry Retry-After too. */
  readonly lockedUntil?: string;
}

/** One problem of a request: the field by its full path (`body.username`) and what is wrong. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** A huge body with a problem in every element cannot make a huge answer. */
export const MAX_LISTED_ERRORS = 20;

/**
 * Unknown codes are a programming error and throw. With a field, the answer lists its problems in
 * `errors` (the one named, unless more are given), so clients find them in one place always.
 */
export function envelope(
  code: ApiCode | number,
  message?: string,
  field?: string,
  problems?: readonly FieldProblem[],
): Envelope {
  const info = describe(code, "api");
  if (info === undefined) throw new RangeError(`unknown API code ${code}`);
  const errorMessage = message ?? info.description;
  return {
    errorCode: info.value,
    errorName: info.name,
    errorMessage,
    ...(field === undefined
      ? {}
      : { field, errors: (problems ?? [{ field, message: errorMessage }]).slice(0, MAX_LISTED_ERRORS) }),
  };
}

/**
 * A success body: the envelope with code 0 and the payload beside it. A success that has a
 * published outcome of its own (provisioning's Provisioned and Reprovisioned, a password changed
 * or a recovery read whose e-mail failed) names it in `outcome`: `errorCode` stays 0, so every
 * client tests success the same way (PRODUCT.md §4), and the precise code is not lost.
 */
export function success<T extends object>(
  payload: T,
  outcome: ApiCode = ApiReturnCode.Success,
): Envelope & { outcome?: Outcome } & T {
  if (outcome === ApiReturnCode.Success) return { ...envelope(ApiReturnCode.Success), ...payload };
  const { errorCode: code, errorName: name, errorMessage: message } = envelope(outcome);
  return { ...envelope(ApiReturnCode.Success), outcome: { code, name, message }, ...payload };
}

/** The published outcome of a success, next to errorCode 0. */
export interface Outcome {
  readonly code: number;
  readonly name: string;
  readonly message: string;
}

/** JSON-schema properties of the envelope, for route response schemas. */
export const envelopeProperties = {
  errorCode: { type: "integer" },
  errorName: { type: "string" },
  errorMessage: { type: "string" },
  field: { type: "string" },
  errors: {
    type: "array",
    items: {
      type: "object",
      properties: { field: { type: "string" }, message: { type: "string" } },
      required: ["field", "message"],
    },
  },
} as const;

/** JSON schema of `outcome`, present on successes that have a published outcome other than 0. */
export const outcomeSchema = {
  type: "object",
  description:
    "The published outcome of a success that has one (for example 9045 Provisioned); absent when the outcome is plain success. errorCode is 0 either way.",
  properties: { code: { type: "integer" }, name: { type: "string" }, message: { type: "string" } },
  required: ["code", "name", "message"],
} as const;

/**
 * The code the audit trail records for a JSON answer: the outcome of a success when it has one,
 * else the envelope's code. The envelope always starts the body, the outcome follows it.
 */
const leadingCodes =
  /^\{"errorCode":(-?\d+),"errorName":"[^"\\]*","errorMessage":"(?:[^"\\]|\\.)*"(?:,"outcome":\{"code":(\d+))?/;

const leadingCode = /^\{"errorCode":(-?\d+)/;

export function resultCodeOf(payload: unknown): number | undefined {
  if (typeof payload !== "string") return undefined;
  const match = leadingCodes.exec(payload) ?? leadingCode.exec(payload);
  return match === null ? undefined : Number(match[2] ?? match[1]);
}
