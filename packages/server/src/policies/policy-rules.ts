/**
 * The rules of one access policy (PRODUCT.md §5 "Access policies"). Each rule has a mode: enforce
 * (a failing check denies), log (recorded, access continues) or ignore (noted as ignored, access
 * continues). `onError` decides what a rule that cannot be evaluated does (deny or ignore).
 */
export const ruleModes = ["enforce", "log", "ignore"] as const;
export type RuleMode = (typeof ruleModes)[number];
export const onErrorChoices = ["deny", "ignore"] as const;
export type OnError = (typeof onErrorChoices)[number];
export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof weekdays)[number];

export interface TimeWindow {
  /** "HH:MM", inclusive. (Not from/to: in this API those names are RFC 3339 instants.) */
  readonly start: string;
  /** "HH:MM", exclusive; earlier than `start`: the window crosses midnight. */
  readonly end: string;
}

export interface PolicyRules {
  readonly daysOfWeek?: {
    readonly allowed: readonly Weekday[];
    readonly timeZone: string;
    readonly mode: RuleMode;
  };
  readonly timeOfDay?: {
    readonly timeZone: string;
    readonly windows: readonly TimeWindow[];
    readonly mode: RuleMode;
  };
  readonly clientAddresses?: { readonly ranges: readonly string[]; readonly mode: RuleMode };
  readonly dailyAllowance?: {
    readonly maxSignIns: number;
    readonly timeZone: string;
    readonly mode: RuleMode;
  };
}

export type RuleName = keyof PolicyRules;

/** The rules evaluated from the clock and the address alone, in evaluation order. */
export const staticRules = ["daysOfWeek", "timeOfDay", "clientAddresses"] as const;

/** The most sign-ins a day an allowance may name; a column is an integer. */
export const MAX_DAILY_SIGN_INS = 1_000_000;

/** One policy as stored and shown. */
export interface AccessPolicy {
  readonly tenantId: string;
  /** undefined: the tenant-wide policy. */
  readonly clientId: string | undefined;
  readonly rules: PolicyRules;
  readonly onError: OnError;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** "HH:MM" with hours 00–23. */
export const clockTimePattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
