import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { findTenant, type Tenant } from "../../tenants/tenant-store.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import type { UserRow } from "../../users/user-store.ts";
import { type ActivationRow, activationIdPattern, findActivation } from "./activation-store.ts";

export interface OpenActivation {
  readonly row: ActivationRow;
  readonly tenant: Tenant;
  readonly user: UserRow;
}

type ActivationRequest = FastifyRequest<{ Params: { tenant: string } }>;

/**
 * The activation a page request names, checked in an order that tells nothing to someone without
 * a valid id: no id (NotSpecified), then a malformed, unknown, expired or ended one (all one
 * IdInvalid, so an ended link and a guessed one look the same); only the holder of a live id
 * learns that it belongs to another tenant's issuer, that the account is disabled, or that it is
 * already activated. The request is audited in the trail of the activation's tenant once the id
 * is valid, else in that of the issuer the URL names (public anyway), if it exists.
 */
export async function openActivationOf(
  request: ActivationRequest,
  id: string | undefined,
  /** Where the id came from, to name it in a refusal: querystring.id or body.id. */
  field: string,
): Promise<OpenActivation> {
  const { ctx } = request.server;
  const db = ctx.database.db;
  const now = ctx.clock.now();
  const urlTenant = await findTenant(db, request.params.tenant);
  if (urlTenant !== undefined && urlTenant.id === request.params.tenant) request.tenant = urlTenant;
  if (id === undefined || id === "")
    throw new TesseraError(ApiReturnCode.SSOAccountActivationIdNotSpecified, {
      message: "the activation link carries no id",
      field,
    });
  const row = activationIdPattern.test(id) ? await findActivation(db, id) : undefined;
  const tenant = row === undefined ? undefined : await findTenant(db, row.tenant_id);
  const live =
    row !== undefined &&
    row.used_at === null &&
    row.expires_at > now &&
    tenant !== undefined &&
    !tenant.disabled &&
    (tenant.expiresAt === null || tenant.expiresAt > now);
  if (!live)
    throw new TesseraError(ApiReturnCode.SSOAccountActivationIdInvalid, {
      message: "the activation link is not valid",
      field,
    });
  request.tenant = tenant;
  const user = await db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", row.user_id)
    .executeTakeFirstOrThrow();
  request.auditSubject = `user:${user.username}`;
  if (row.tenant_id !== request.params.tenant)
    throw new TesseraError(ApiReturnCode.SSOActivationAccountAssignedToDifferentPartner, {
      message: "the activation link belongs to another issuer",
    });
  if (signInRefusal(user, now) !== undefined)
    throw new TesseraError(ApiReturnCode.SSOActivationAccountDisabled, {
      message: "the account is disabled or expired",
    });
  // A password set some other way (by an administrator, or before this link) means the account
  // is activated already; the link must not become a way to replace it.
  if (row.state === "password" && user.password_hash !== null)
    throw new TesseraError(ApiReturnCode.SSOAccountActivationAccountAlreadyProvisioned, {
      message: "the account already has a password",
    });
  return { row, tenant, user };
}
