import { TesseraApiCode } from "@tessera/codes";
import { asRecord, type ShapeProblem, shapeCheck } from "../app/shape-checks.ts";
import { canonicalJson } from "./approval-payload.ts";

/**
 * A transaction's details as POST /v1/approvals takes them: `amount`, `currency` and `payee`, and
 * any further fields the tenant wants the user to see. The app shows them and signs them exactly
 * (approval-payload.ts), so everything here serves one goal: what the phone displays is what is
 * signed, reproducibly on any platform.
 *
 * - `amount` is a decimal string ("1234.50"), never a JSON number: a binary float cannot carry
 *   every decimal amount, and a number reformatted by another JSON library ("1234.5", "1.2345e3")
 *   would no longer be the signed bytes. Its decimals are at most the currency's minor unit.
 * - `currency` is an ISO 4217 code the runtime knows (Intl).
 * - Extra values are strings, booleans, null, safe integers, and arrays or objects of them,
 *   `MAX_DEPTH` levels deep and `MAX_BYTES` in all; no fractions (send a string).
 * - Keys are ASCII, so every platform sorts them the same (the payload sorts keys by code unit).
 * - No string carries control or format characters: no terminal escapes (the reference app prints
 *   them), no bidirectional overrides or zero-width characters that make the payee or amount the
 *   user reads differ from the signed text, no lone surrogates.
 */
export const MAX_DETAILS_BYTES = 4096;
export const MAX_DETAILS_DEPTH = 4;
const MAX_KEYS = 32;
export const keyPattern = "^[A-Za-z][A-Za-z0-9_.-]{0,63}$";
const amountPattern = /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,4})?$/;
/** Cc, Cf (bidi controls, zero-width), Cs (a lone surrogate), Zl and Zp. */
const unsafeText = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

const currencies = new Set(Intl.supportedValuesOf("currency"));

/** Decimals the currency's minor unit has (EUR 2, JPY 0, BHD 3). */
export function minorUnitDigits(currency: string): number {
  return (
    new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/** A problem at `path` below the details ("" for the details themselves). */
const problem = (path: string, reason: string): ShapeProblem => ({
  code: TesseraApiCode.MalformedRequest,
  ...(path === "" ? {} : { path }),
  reason,
});

function valueProblems(value: unknown, path: string, depth: number, out: ShapeProblem[]): void {
  if (out.length >= 10) return;
  if (typeof value === "string") {
    if (unsafeText.test(value))
      out.push(problem(path, "must not contain control or invisible formatting characters"));
  } else if (typeof value === "number") {
    // The top-level amount is never a number (coreProblems says so); a second, contradicting
    // message ("a whole number") would mislead.
    if (!Number.isSafeInteger(value) && path !== "amount")
      out.push(problem(path, "must be a whole number within ±(2^53-1); send a decimal as a string"));
  } else if (value !== null && typeof value === "object") {
    if (depth >= MAX_DETAILS_DEPTH) {
      out.push(problem(path, `nests deeper than ${MAX_DETAILS_DEPTH} levels`));
      return;
    }
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    if (entries.length > MAX_KEYS) out.push(problem(path, `must have at most ${MAX_KEYS} entries`));
    const keyRule = new RegExp(keyPattern);
    for (const [key, inner] of entries.slice(0, MAX_KEYS)) {
      if (!Array.isArray(value) && !keyRule.test(key))
        out.push(
          problem(
            path,
            `has a key that is not 1–64 ASCII letters, digits, '_', '.', '-' starting with a letter`,
          ),
        );
      valueProblems(inner, path === "" ? key : `${path}/${key}`, depth + 1, out);
    }
  }
}

/** The three fields every transaction has; missing ones are the schema's `required`. */
function coreProblems(details: Record<string, unknown>, out: ShapeProblem[]): void {
  const { amount, currency, payee } = details;
  const knownCurrency = typeof currency === "string" && currencies.has(currency);
  if (currency !== undefined && !knownCurrency)
    out.push(problem("currency", "must be an ISO 4217 currency code such as EUR"));
  if (
    amount !== undefined &&
    (typeof amount !== "string" || amount.length > 23 || !amountPattern.test(amount))
  )
    out.push(
      problem(
        "amount",
        'must be a decimal string such as "249.90" (no sign, no exponent, not a JSON number)',
      ),
    );
  else if (typeof amount === "string" && knownCurrency) {
    const allowed = minorUnitDigits(currency);
    if ((amount.split(".")[1]?.length ?? 0) > allowed)
      out.push(problem("amount", `has more decimals than ${currency} has (${allowed})`));
  }
  if (payee !== undefined && (typeof payee !== "string" || payee.length > 200 || !/\S/.test(payee)))
    out.push(problem("payee", "must be 1–200 characters, not blank"));
}

/**
 * Every problem of a details object. The schema states only that it is an object with the three
 * core fields: its further fields are free by design (shown to the user and signed, so a
 * misspelt one is displayed, never silently dropped), and so it lists no properties to close.
 */
export function detailsProblems(raw: unknown): readonly ShapeProblem[] {
  const details = asRecord(raw);
  if (details === undefined) return [];
  const problems: ShapeProblem[] = [];
  coreProblems(details, problems);
  valueProblems(details, "", 0, problems);
  if (problems.length === 0 && Buffer.byteLength(canonicalJson(details), "utf8") > MAX_DETAILS_BYTES)
    problems.push({
      code: TesseraApiCode.MalformedRequest,
      reason: `must be at most ${MAX_DETAILS_BYTES} bytes as JSON`,
    });
  return problems;
}

export const detailsInput = {
  type: "object",
  required: ["amount", "currency", "payee"],
  maxProperties: MAX_KEYS,
  description:
    "amount (a decimal string), currency (ISO 4217), payee, and further fields of the tenant's choosing (docs/authenticators.md, “Transaction signing”)",
  ...shapeCheck("approval-details", detailsProblems),
} as const;
