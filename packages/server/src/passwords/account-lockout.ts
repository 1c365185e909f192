import type { AttemptPolicy } from "../attempts/attempt-limiter.ts";
import type { Tenant } from "../tenants/tenant-store.ts";

/**
 * Per-account password lockout: the tenant's limits for the shared attempt limiter
 * (attempts/attempt-limiter.ts), which keeps the counters in the user's row. Lock lengths start at
 * lockoutBaseSeconds and double with each further lock; after maxConsecutiveFailures wrong
 * passwords in a row the account stays locked until an administrator unlocks it (or sets a new
 * password). A correct password starts afresh.
 */
export function passwordAttemptPolicy(tenant: Tenant): AttemptPolicy {
  return {
    maxFailures: tenant.passwordMaxFailures,
    lockMs: tenant.lockoutBaseSeconds * 1000,
    maxConsecutive: tenant.maxConsecutiveFailures,
  };
}
