import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ShapeProblem } from "../../app/shape-checks.ts";
import type { OathParameters } from "../authenticator-type.ts";
import type { OathAlgorithm } from "./oath-code.ts";

const algorithms: readonly OathAlgorithm[] = ["SHA1", "SHA256", "SHA512"];

type OathInput = { algorithm?: unknown; digits?: unknown; period?: unknown };

/**
 * Every problem of the parameters both OATH types share, all at once (InvalidDeviceConfig). Looks
 * only at values of the right type: a mistyped one is the schema's to report.
 */
export function oathProblems(input: OathInput, periodAllowed: boolean): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const invalid = (path: string, reason: string) =>
    problems.push({ code: ApiReturnCode.InvalidDeviceConfig, path, reason });
  const { algorithm, digits, period } = input;
  if (typeof algorithm === "string" && !algorithms.includes(algorithm.toUpperCase() as OathAlgorithm))
    invalid("algorithm", "must be SHA1, SHA256 or SHA512");
  if (typeof digits === "number" && digits !== 6 && digits !== 8) invalid("digits", "must be 6 or 8");
  if (!periodAllowed && period !== undefined) invalid("period", "applies to TOTP tokens only");
  else if (typeof period === "number" && period !== 30 && period !== 60)
    invalid("period", "must be 30 or 60");
  return problems;
}

/** Checks and completes the parameters; InvalidDeviceConfig names the first field at fault, and lists all. */
export function configureOath(
  input: { algorithm?: string | undefined; digits?: number | undefined; period?: number | undefined },
  periodAllowed: boolean,
): OathParameters {
  const problems = oathProblems(input, periodAllowed);
  const [first] = problems;
  if (first !== undefined) {
    const listed = problems.map((p) => ({ field: `body.${p.path}`, message: `${p.path} ${p.reason}` }));
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: listed[0]?.message ?? first.reason,
      field: `body.${first.path}`,
      problems: listed,
    });
  }
  const algorithm = (input.algorithm ?? "SHA1").toUpperCase() as OathAlgorithm;
  return { algorithm, digits: input.digits ?? 6, period: periodAllowed ? (input.period ?? 30) : null };
}
