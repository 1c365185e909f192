import { ApiReturnCode } from "@tessera/codes";
import { ipInRanges } from "../tenants/ip-ranges.ts";
import type { PolicyRules, RuleMode, RuleName, TimeWindow } from "./policy-rules.ts";
import { zonedTime } from "./zoned-time.ts";

/**
 * The code each rule yields when it would deny, by mode. The published catalog has a *Logged code
 * only for the day rule, so a time or address rule in log mode yields its *Ignored code (the
 * outcome and the audit event say mode "log"). The daily allowance has only its enforced code
 * (SSOPolicyNoDailyAccessRestriction); used up in log or ignore mode it yields the "daily access"
 * family's *Logged / *Ignored codes, told apart from the day rule by the rule name.
 */
export const codeFor: Readonly<Record<RuleName, Readonly<Record<RuleMode, number>>>> = {
  daysOfWeek: {
    enforce: ApiReturnCode.SSOPolicyNoDailyAccess,
    log: ApiReturnCode.SSOPolicyNoDailyAccessLogged,
    ignore: ApiReturnCode.SSOPolicyNoDailyAccessIgnored,
  },
  timeOfDay: {
    enforce: ApiReturnCode.SSOPolicyTimeRestriction,
    log: ApiReturnCode.SSOPolicyTimeRestrictionIgnored,
    ignore: ApiReturnCode.SSOPolicyTimeRestrictionIgnored,
  },
  clientAddresses: {
    enforce: ApiReturnCode.SSOPolicyClientIPInvalid,
    log: ApiReturnCode.SSOPolicyClientIPInvalidIgnored,
    ignore: ApiReturnCode.SSOPolicyClientIPInvalidIgnored,
  },
  dailyAllowance: {
    enforce: ApiReturnCode.SSOPolicyNoDailyAccessRestriction,
    log: ApiReturnCode.SSOPolicyNoDailyAccessLogged,
    ignore: ApiReturnCode.SSOPolicyNoDailyAccessIgnored,
  },
};

const inWindow = (clock: string, w: TimeWindow) =>
  w.start <= w.end ? clock >= w.start && clock < w.end : clock >= w.start || clock < w.end;

/**
 * Checks one rule evaluated from the clock and the address alone. Returns undefined when it
 * passes, else what failed (for the audit detail: no secret is ever part of it). Throws when the
 * rule cannot be evaluated (an unknown time zone, a range that no longer parses).
 */
export function failedCheck(
  rules: PolicyRules,
  rule: "daysOfWeek" | "timeOfDay" | "clientAddresses",
  now: number,
  address: string,
): string | undefined {
  if (rule === "daysOfWeek") {
    const r = rules.daysOfWeek;
    if (r === undefined) return undefined;
    const { weekday } = zonedTime(now, r.timeZone);
    return r.allowed.includes(weekday)
      ? undefined
      : `${weekday} (${r.timeZone}) is not one of ${r.allowed.join(",")}`;
  }
  if (rule === "timeOfDay") {
    const r = rules.timeOfDay;
    if (r === undefined) return undefined;
    const { clock } = zonedTime(now, r.timeZone);
    return r.windows.some((w) => inWindow(clock, w))
      ? undefined
      : `${clock} (${r.timeZone}) is outside ${r.windows.map((w) => `${w.start}-${w.end}`).join(",")}`;
  }
  const r = rules.clientAddresses;
  if (r === undefined) return undefined;
  return ipInRanges(r.ranges, address) ? undefined : `${address} is outside ${r.ranges.join(",")}`;
}
