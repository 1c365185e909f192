import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FieldProblem } from "../app/envelope.ts";
import { body } from "../app/route-schemas.ts";
import { EXPECT_KEYWORD } from "../app/validator-compiler.ts";
import { isValidIpRange } from "../tenants/ip-ranges.ts";
import {
  clockTimePattern,
  MAX_DAILY_SIGN_INS,
  onErrorChoices,
  type PolicyRules,
  ruleModes,
  weekdays,
} from "./policy-rules.ts";
import { canonicalTimeZone } from "./zoned-time.ts";

/**
 * The JSON schema of a policy in requests and answers. Shapes, enums, bounds and "HH:MM" are the
 * schema's (a refusal names the field); whether a zone is one this runtime knows and whether a
 * range is CIDR are checked in code after it (checkPolicyInput).
 */
const mode = { type: "string", enum: ruleModes } as const;
/** An IANA zone name ("Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"). */
const timeZone = {
  type: "string",
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z][A-Za-z0-9_+/-]*$",
  [EXPECT_KEYWORD]:
    'an IANA time zone name, such as Europe/Berlin or UTC ("+01:00" is an offset, not a zone)',
} as const;
const clockTime = {
  type: "string",
  pattern: clockTimePattern,
  [EXPECT_KEYWORD]: "a time of day, HH:MM (24 h, two digits each: 09:00, not 9:00)",
} as const;

const rule = (properties: Record<string, unknown>, required: string[]) => ({
  type: "object",
  properties: { ...properties, mode },
  required: [...required, "mode"],
  additionalProperties: false,
});

export const ruleProperties = {
  daysOfWeek: rule(
    {
      allowed: { type: "array", maxItems: 7, uniqueItems: true, items: { type: "string", enum: weekdays } },
      timeZone,
    },
    ["allowed", "timeZone"],
  ),
  timeOfDay: rule(
    {
      timeZone,
      windows: {
        type: "array",
        minItems: 1,
        maxItems: 24,
        items: body({ start: clockTime, end: clockTime }, ["start", "end"]),
      },
    },
    ["timeZone", "windows"],
  ),
  clientAddresses: rule(
    { ranges: { type: "array", minItems: 1, maxItems: 100, items: { type: "string", maxLength: 64 } } },
    ["ranges"],
  ),
  dailyAllowance: rule(
    { maxSignIns: { type: "integer", minimum: 1, maximum: MAX_DAILY_SIGN_INS }, timeZone },
    ["maxSignIns", "timeZone"],
  ),
} as const;

export const policyBody = body({ ...ruleProperties, onError: { type: "string", enum: onErrorChoices } });

export type PolicyInput = PolicyRules & { onError?: (typeof onErrorChoices)[number] };

/**
 * What the schema cannot say: zones this runtime knows, CIDR ranges, windows that are not empty.
 * Returns the rules to store, with each zone under its canonical name. Every problem is named at
 * once (the envelope's `errors`), as the schema's are.
 */
export function checkPolicyInput(input: PolicyInput): PolicyRules {
  const { onError: _onError, ...rules } = input;
  const zoned: Record<string, unknown> = { ...rules };
  const problems: FieldProblem[] = [];
  const refuse = (field: string, message: string) => problems.push({ field, message: `${field} ${message}` });
  for (const name of ["daysOfWeek", "timeOfDay", "dailyAllowance"] as const) {
    const rule = input[name];
    if (rule === undefined) continue;
    const zone = canonicalTimeZone(rule.timeZone);
    if (zone === undefined)
      refuse(`body.${name}.timeZone`, `is not an IANA time zone this server knows: ${rule.timeZone}`);
    else zoned[name] = { ...rule, timeZone: zone };
  }
  input.clientAddresses?.ranges.forEach((range, index) => {
    if (!isValidIpRange(range))
      refuse(`body.clientAddresses.ranges.${index}`, "is not an IP address or CIDR range");
  });
  input.timeOfDay?.windows.forEach((window, index) => {
    if (window.start === window.end)
      refuse(
        `body.timeOfDay.windows.${index}`,
        "is empty (start equals end); a whole day needs no time rule",
      );
  });
  const [first] = problems;
  if (first !== undefined) throw new TesseraError(TesseraApiCode.MalformedRequest, { ...first, problems });
  return zoned as PolicyRules;
}

/** The policy as answered. */
export const policySchema = {
  type: "object",
  properties: {
    scope: { type: "string", enum: ["tenant", "app"] },
    clientId: { type: ["string", "null"] },
    ...ruleProperties,
    onError: { type: "string", enum: onErrorChoices },
    createdAt: { type: "string", format: "date-time", description: "RFC 3339, UTC" },
    updatedAt: { type: "string", format: "date-time", description: "RFC 3339, UTC" },
  },
} as const;
