import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { publicLink } from "../../app/public-url.ts";
import type { ServerContext } from "../../app/server-context.ts";
import { MailSendError } from "../../mail/mailer.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import type { UserRow } from "../../users/user-store.ts";
import { issuerPath } from "../provider/provider-configuration.ts";
import { dropActivation, openActivation } from "./activation-store.ts";

export interface Invitation {
  readonly username: string;
  readonly apps: readonly string[];
  readonly expiresAt: number;
}

/**
 * Invites an existing user to activate the account, for the API and the CLI alike: stores an
 * activation (replacing the user's open one) and e-mails its link. The id travels only in the
 * e-mail, never in the answer: the administrator who invites must not be able to activate the
 * account in the user's place. As with the enrolment e-mail, the invitation exists only if the
 * e-mail went out (EnrollUserSendNotoficationFailed otherwise); the link it replaced stays ended.
 */
export async function inviteUser(
  ctx: ServerContext,
  tenant: Tenant,
  user: UserRow,
  apps: readonly string[] = [],
): Promise<Invitation> {
  const now = ctx.clock.now();
  if (signInRefusal(user, now) !== undefined)
    throw new TesseraError(ApiReturnCode.SSOActivationAccountDisabled, {
      message: `${user.username} is disabled or expired and cannot be activated`,
    });
  // An account with a password is activated already; changing it is the recovery flow's job.
  if (user.password_hash !== null)
    throw new TesseraError(ApiReturnCode.SSOAccountActivationAccountAlreadyProvisioned, {
      message: `${user.username} already has a password`,
    });
  if (user.email === null)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `${user.username} has no e-mail address to send the invitation to`,
      field: "params.username",
    });
  const clientIds = [...new Set(apps)];
  await requireApps(ctx, tenant, apps);
  // Said before anything is stored: the operator learns which setting is missing, not just "failed".
  if (ctx.config.smtp.host === undefined)
    throw new TesseraError(ApiReturnCode.EnrollUserSendNotoficationFailed, {
      message: "smtp.host is not set, so invitations cannot be e-mailed; no invitation is open",
    });
  const expiresAt = now + ctx.config.activation.ttlHours * 3600_000;
  const { id, idHash } = await openActivation(ctx.database.db, {
    tenantId: tenant.id,
    userId: user.id,
    apps: clientIds,
    now,
    expiresAt,
  });
  const link = publicLink(ctx.publicUrl, `${issuerPath(tenant.id)}/activate`, { id });
  try {
    await ctx.mailer.send({
      to: user.email,
      subject: `Activate your ${tenant.name} account`,
      text: `Hello${user.first_name ? ` ${user.first_name}` : ""},\n\nan account with the username ${user.username} is waiting for you. To choose a password and set up your authenticator app, open\n\n${link}\n\nThe link works once and expires at ${new Date(expiresAt).toISOString()}.\n`,
    });
  } catch (error) {
    await dropActivation(ctx.database.db, idHash);
    if (!(error instanceof MailSendError)) throw error;
    throw new TesseraError(ApiReturnCode.EnrollUserSendNotoficationFailed, {
      message: "the invitation e-mail could not be sent; no invitation is open",
      cause: error,
    });
  }
  return { username: user.username, apps: clientIds, expiresAt };
}

/** Every client id must name one of this tenant's apps; another tenant's is as unknown as none. */
async function requireApps(ctx: ServerContext, tenant: Tenant, clientIds: readonly string[]) {
  if (clientIds.length === 0) return;
  const found = await ctx.database.db
    .selectFrom("sso_apps")
    .select("client_id")
    .where("tenant_id", "=", tenant.id)
    .where("client_id", "in", clientIds)
    .execute();
  const known = new Set(found.map((r) => r.client_id));
  const missing = clientIds.findIndex((c) => !known.has(c));
  if (missing !== -1)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no app ${clientIds[missing]} in this tenant`,
      field: `body.apps[${missing}]`,
    });
}
