import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { ServerContext } from "../../app/server-context.ts";
import { addressGroup } from "../../rate-limits/address-group.ts";
import type { RateLimit } from "../../rate-limits/rate-limit.ts";
import { destinationDigest } from "./destination-digest.ts";
import type { RefusalKind } from "./sending-limit-metrics.ts";
import type { SendAttempt } from "./sending-limits.ts";

const QUARTER_HOUR_MS = 15 * 60_000;
const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

export interface SendingRule {
  readonly name: Exclude<RefusalKind, "country-not-allowed">;
  /** The rate_limits key: tenant-scoped, never a destination in the clear. */
  readonly key: string;
  readonly rule: RateLimit;
  /** Ends "too many codes sent …" in the refusal. */
  readonly what: string;
}

/**
 * The destination as a mailbox, for counting only (the message still goes to the address as
 * bound): mail servers deliver every letter case of a local part and every `+tag` to one mailbox,
 * so counting spellings apart would let one inbox be flooded once per spelling. Folding more than
 * the mailbox does only makes the limit stricter. A phone number is already one E.164 text.
 */
function countedDestination(attempt: SendAttempt): string {
  if (attempt.method !== "email") return attempt.destination;
  const at = attempt.destination.lastIndexOf("@");
  const local = attempt.destination.slice(0, at).toLowerCase();
  const plus = local.indexOf("+");
  return `${plus < 0 ? local : local.slice(0, plus)}@${attempt.destination.slice(at + 1).toLowerCase()}`;
}

/**
 * The counters one send is taken from, in the order they are taken (docs/authenticators.md,
 * "Anti-pumping limits"): first the ones the requester controls (its source address, the user it
 * names), then the destination's, and last the country's, which every user of the tenant shares.
 * A refused send gives back every count it took, so the order decides only which limit a refusal
 * names. Every key is per tenant: one tenant's traffic never uses up another's allowance.
 */
export function sendingRules(ctx: ServerContext, attempt: SendAttempt): SendingRule[] {
  const limits = ctx.config.rateLimits;
  const tenant = attempt.tenant.id;
  const destination = destinationDigest(ctx, tenant, countedDestination(attempt));
  const rules: SendingRule[] = [
    {
      name: "source",
      key: `oob:source:${tenant}:${addressGroup(attempt.sourceIp)}`,
      rule: { limit: limits.outOfBandPerSource, windowMs: HOUR_MS },
      what: "on behalf of this source address",
    },
    {
      name: "user",
      key: `oob:user:${tenant}:${attempt.userId}`,
      rule: { limit: limits.outOfBandPerUser, windowMs: QUARTER_HOUR_MS },
      what: "to this user",
    },
    {
      name: "destination",
      key: `oob:destination:${tenant}:${destination}`,
      rule: { limit: limits.outOfBandPerDestination, windowMs: QUARTER_HOUR_MS },
      what: "to this destination",
    },
    {
      name: "destination-day",
      key: `oob:destination-day:${tenant}:${destination}`,
      rule: { limit: limits.outOfBandPerDestinationPerDay, windowMs: DAY_MS },
      what: "to this destination today",
    },
  ];
  const callingCode =
    attempt.method === "email"
      ? undefined
      : parsePhoneNumberFromString(attempt.destination)?.countryCallingCode;
  if (callingCode !== undefined)
    rules.push({
      name: "country",
      key: `oob:country:${tenant}:${callingCode}`,
      rule: { limit: limits.outOfBandPerCountry, windowMs: HOUR_MS },
      what: `to country calling code +${callingCode}`,
    });
  return rules;
}
