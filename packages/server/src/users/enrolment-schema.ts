import { Ajv } from "ajv";
import { parseRfc3339 } from "../app/rfc3339-time.ts";
import type { EnrolmentRequest } from "./enrol-user.ts";
import { passwordField, userFields } from "./user-view.ts";

/** What a new user may carry, for the API (as a route schema) and for CSV imports alike. */
export const enrolmentSchema = {
  type: "object",
  properties: {
    username: { type: "string", minLength: 1, maxLength: 300 },
    ...userFields,
    password: passwordField,
    sendEnrolmentEmail: { type: "boolean" },
  },
  required: ["username"],
  additionalProperties: false,
} as const;

// Times are checked by the expiresAt rule below; the date-time format is declared for the API document only.
const validate = new Ajv({ allErrors: false, strict: false, formats: { "date-time": true } }).compile(
  enrolmentSchema,
);

/** Undefined when valid; otherwise a message naming the field. */
export function enrolmentProblem(candidate: unknown): string | undefined {
  if (validate(candidate)) return undefined;
  const error = validate.errors?.[0];
  const field = [
    error?.instancePath.split("/").filter(Boolean).join("."),
    error?.params.missingProperty ?? error?.params.additionalProperty,
  ]
    .filter(Boolean)
    .join(".");
  return `${field || "row"} ${error?.params.additionalProperty ? "is not a known column" : (error?.message ?? "is invalid")}`;
}

/** A cell that cannot become its field's value: the row is rejected with this reason. */
class CellProblem {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

const columns: Record<string, (value: string) => unknown> = {
  username: (v) => v,
  email: (v) => v,
  mobile: (v) => v,
  firstName: (v) => v,
  lastName: (v) => v,
  password: (v) => v,
  disabled: (v) => (v === "true" ? true : v === "false" ? false : v),
  // Only a strict RFC 3339 date-time: a lenient date parser turns junk like "-5" into a date.
  expiresAt: (v) =>
    parseRfc3339(v) ??
    new CellProblem(
      "expiresAt must be an RFC 3339 date-time with a time zone from 1970 to 9999, such as 2027-06-30T12:00:00Z",
    ),
};

/** A CSV row under its header as an enrolment request; empty cells are absent. */
export function rowToEnrolment(header: readonly string[], row: readonly string[]): EnrolmentRequest | string {
  const candidate: Record<string, unknown> = {};
  for (const [index, name] of header.entries()) {
    const cell = row[index] ?? "";
    const convert = columns[name];
    if (convert === undefined) return `${name} is not a known column`;
    if (cell === "") continue;
    const value = convert(cell);
    if (value instanceof CellProblem) return value.reason;
    candidate[name] = value;
  }
  return enrolmentProblem(candidate) ?? (candidate as unknown as EnrolmentRequest);
}
