import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { OathParameters } from "../authenticator-type.ts";
import type { OathAlgorithm } from "./oath-code.ts";

const algorithms: readonly OathAlgorithm[] = ["SHA1", "SHA256", "SHA512"];

/** Checks the parameters both OATH types share; InvalidDeviceConfig names the field at fault. */
export function configureOath(
  input: { algorithm?: string | undefined; digits?: number | undefined; period?: number | undefined },
  periodAllowed: boolean,
): OathParameters {
  const algorithm = (input.algorithm ?? "SHA1").toUpperCase() as OathAlgorithm;
  if (!algorithms.includes(algorithm)) invalid("algorithm", "must be SHA1, SHA256 or SHA512");
  const digits = input.digits ?? 6;
  if (digits !== 6 && digits !== 8) invalid("digits", "must be 6 or 8");
  if (!periodAllowed && input.period !== undefined) invalid("period", "applies to TOTP tokens only");
  const period = periodAllowed ? (input.period ?? 30) : null;
  if (period !== null && period !== 30 && period !== 60) invalid("period", "must be 30 or 60");
  return { algorithm, digits, period };
}

function invalid(field: string, reason: string): never {
  throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
    message: `${field} ${reason}`,
    field: `body.${field}`,
  });
}
