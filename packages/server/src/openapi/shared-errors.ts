import type { CodeName } from "./operation-docs.ts";

/**
 * Codes any operation can answer whatever it does: a request too slow to arrive, and a defect
 * (InternalError, which tests assert never happens but the error handler can produce).
 */
export const everyOperationErrors: readonly CodeName[] = ["RequestTimeout", "InternalError"];

/**
 * Codes every tenant API operation (/v1) can answer before or around its own work: the API-key
 * check and source lockout (tenants/authenticate-tenant.ts), the key's scope (key-scopes.ts),
 * schema validation, and a database that is down or cannot record the audit event.
 */
export const tenantApiErrors: readonly CodeName[] = [
  "PartnerLoginFailed",
  "MaximumLoginPartnerAttempsExceeded",
  "AccountExpired",
  "SourceAddressNotAllowed",
  "PartnerUserLoginFailedNotAdmin",
  "MalformedRequest",
  "DatabaseError",
];

/** Methods whose body Fastify parses, so a body can be too large or not JSON. */
export const bodyErrors: readonly CodeName[] = ["PayloadTooLarge", "UnsupportedMediaType"];
export const methodsWithBody: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The Idempotency-Key claim can refuse a request (idempotency/idempotency.ts). */
export const idempotencyErrors: readonly CodeName[] = ["IdempotencyKeyReused"];
