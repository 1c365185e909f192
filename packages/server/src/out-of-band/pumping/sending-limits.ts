import type { FastifyReply } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";

export interface SendAttempt {
  readonly tenant: Tenant;
  readonly userId: string;
  readonly method: DeliveryMethod;
  /** Normalised destination: E.164 number or e-mail address. */
  readonly destination: string;
  /** The end user's address where known (SSO pages), else the API caller's. */
  readonly sourceIp: string;
}

/**
 * Anti-pumping (docs/authenticators.md): one send counted per user, per destination, per source
 * address and per destination country, in the database so the limits hold across processes; a
 * phone destination outside the tenant's country allow-list is refused. Over a limit it sets
 * Retry-After on `reply` (when given), audits, and throws RateLimited (429).
 * FOUNDATION STUB (issue 14): the anti-pumping part implements it.
 */
export async function enforceSendingLimits(
  _ctx: ServerContext,
  _attempt: SendAttempt,
  _reply?: FastifyReply,
): Promise<void> {}
