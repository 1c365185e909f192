import type { DomainOperations, OperationDoc } from "../openapi/operation-docs.ts";

const mode =
  "`enforce` (a failing check denies), `log` (recorded in the audit trail, access continues) or `ignore` (noted as ignored, access continues)";
const zone = "an IANA time zone this server knows (`Europe/Berlin`, `UTC`); refused otherwise";

/** What every input of a policy means; the same for the tenant-wide and the app's. */
const policyFields = {
  "body.daysOfWeek": "the days of the week sign-ins are allowed on (SSOPolicyNoDailyAccess when enforced)",
  "body.daysOfWeek.allowed": "the allowed days: `mon` … `sun`; an empty list allows no day",
  "body.daysOfWeek.timeZone": `the zone whose calendar decides the day: ${zone}`,
  "body.daysOfWeek.mode": mode,
  "body.timeOfDay": "the times of day sign-ins are allowed at (SSOPolicyTimeRestriction when enforced)",
  "body.timeOfDay.timeZone": `the zone whose wall clock is read: ${zone}`,
  "body.timeOfDay.windows": "1–24 windows; a sign-in inside any of them passes",
  "body.timeOfDay.windows[].start": "where the window opens, `HH:MM`, inclusive",
  "body.timeOfDay.windows[].end":
    "where it closes, `HH:MM`, exclusive; earlier than `start`: the window crosses midnight (`22:00`–`06:00`); equal to `start` is refused",
  "body.timeOfDay.mode": mode,
  "body.clientAddresses":
    "the client addresses sign-ins may come from (SSOPolicyClientIPInvalid when enforced)",
  "body.clientAddresses.ranges":
    "1–100 IPv4 or IPv6 addresses or CIDR ranges (`203.0.113.0/24`, `2001:db8::/32`)",
  "body.clientAddresses.mode": mode,
  "body.dailyAllowance":
    "how many sign-ins a user may complete per local day under this policy (SSOPolicyNoDailyAccessRestriction when enforced and used up)",
  "body.dailyAllowance.maxSignIns": "1–1,000,000 sign-ins per user per day",
  "body.dailyAllowance.timeZone": `the zone whose midnight starts a new day: ${zone}`,
  "body.dailyAllowance.mode": mode,
  "body.onError":
    "what a rule that cannot be evaluated (for example a stored zone the server no longer knows) does: `deny` (the default, SSOPolicyException) or `ignore` (SSOPolicyExceptionIgnored)",
};

const example = {
  daysOfWeek: { allowed: ["mon", "tue", "wed", "thu", "fri"], timeZone: "Europe/Berlin", mode: "enforce" },
  timeOfDay: { timeZone: "Europe/Berlin", windows: [{ start: "07:00", end: "19:00" }], mode: "log" },
  clientAddresses: { ranges: ["203.0.113.0/24", "2001:db8::/32"], mode: "enforce" },
  dailyAllowance: { maxSignIns: 20, timeZone: "Europe/Berlin", mode: "enforce" },
  onError: "deny",
};
const shown = (scope: "tenant" | "app") => ({
  policy: {
    scope,
    clientId: scope === "app" ? "c_7Qm2x9Lw" : null,
    ...example,
    createdAt: "2026-01-05T09:00:00.000Z",
    updatedAt: "2026-01-05T09:00:00.000Z",
  },
});
const clientId = { "params.clientId": "the app's client id (one of the calling tenant's apps)" };

function operations(path: string, scope: "tenant" | "app"): Record<string, OperationDoc> {
  const whose = scope === "tenant" ? "the tenant-wide access policy" : "the app's access policy";
  const params = scope === "app" ? clientId : {};
  return {
    [`GET ${path}`]: {
      ...(scope === "app" ? { fields: params } : {}),
      summary: `Read ${whose}`,
      description: `Returns ${whose}; NotFound when there is none${scope === "app" ? " or the app is not the tenant's" : ""}. Reads only.`,
      errors: ["NotFound"],
      response: shown(scope),
    },
    [`PUT ${path}`]: {
      fields: { ...params, ...policyFields },
      summary: `Set ${whose}`,
      description: `Creates or replaces ${whose} as a whole: a rule left out is no rule. The tenant-wide policy and the app's both apply to a sign-in to the app; any enforced denial denies. Safe to repeat.`,
      errors: ["NotFound"],
      request: example,
      response: shown(scope),
    },
    [`DELETE ${path}`]: {
      ...(scope === "app" ? { fields: params } : {}),
      summary: `Delete ${whose}`,
      description: `Deletes ${whose}; NotFound when there is none (so a repeat is NotFound).`,
      errors: ["NotFound"],
      response: {},
    },
  };
}

/** Documentation of policies/policy-routes.ts. */
export const policyOperations: DomainOperations = {
  tag: "policies",
  operations: {
    ...operations("/v1/policies/tenant", "tenant"),
    ...operations("/v1/policies/apps/:clientId", "app"),
  },
};

/**
 * What `/v1/auth/*` documents for the optional `app` field (policies/auth-policy.ts): the field,
 * the denials (403) and the logged/ignored outcomes a success may carry beside errorCode 0.
 */
export const authPolicyDocs = {
  field: {
    "body.app":
      "the client id of the app the user signs in to (optional): when given, the tenant's and the app's access policies are applied after the credentials are right; an unknown app is NotFound",
  },
  errors: [
    "NotFound",
    "SSOPolicyNoDailyAccess",
    "SSOPolicyTimeRestriction",
    "SSOPolicyClientIPInvalid",
    "SSOPolicyNoDailyAccessRestriction",
    "SSOPolicyException",
  ],
  outcomes: [
    "SSOPolicyNoDailyAccessLogged",
    "SSOPolicyNoDailyAccessIgnored",
    "SSOPolicyTimeRestrictionIgnored",
    "SSOPolicyClientIPInvalidIgnored",
    "SSOPolicyExceptionIgnored",
  ],
  description:
    " With `app`, the access policies (tenant-wide and the app's) run once the credentials are right: an enforced rule denies with its SSOPolicy* code (403); logged or ignored rules let the sign-in through with the first in `outcome` and all in `policy.outcomes`, and every one is in the audit trail.",
} as const;
