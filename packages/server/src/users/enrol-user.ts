import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { MailSendError } from "../mail/mailer.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { deleteUser, insertUser, type NewUser, type UserRow } from "./user-store.ts";
import { checkTenantDomain, isWellFormedUsername, normaliseUsername, USERNAME_RULE } from "./username.ts";

export interface EnrolmentRequest extends Omit<NewUser, "passwordHash"> {
  readonly password?: string | undefined;
  readonly sendEnrolmentEmail?: boolean | undefined;
}

/**
 * Creates a user. With `sendEnrolmentEmail`, the user exists only if the e-mail went out: when the
 * mail server refuses, the user is removed again (EnrollUserSendNotoficationFailed), so a caller
 * never has to find out which half of a failed enrolment happened.
 */
export async function enrolUser(
  ctx: ServerContext,
  tenant: Tenant,
  request: EnrolmentRequest,
  conflictCode: number,
): Promise<UserRow> {
  const username = normaliseUsername(request.username);
  if (!isWellFormedUsername(username)) {
    throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
      message: `body.username ${USERNAME_RULE}`,
      field: "body.username",
    });
  }
  checkTenantDomain(tenant, username, "body.username");
  if (request.sendEnrolmentEmail && !request.email) {
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: "email is required to send the enrolment e-mail",
      field: "body.email",
    });
  }
  const passwordHash =
    request.password === undefined ? undefined : await ctx.passwords.hash(request.password);
  const user = await insertUser(
    ctx.database.db,
    tenant.id,
    { ...request, username, passwordHash },
    ctx.clock.now(),
  );
  if (user === undefined) {
    throw new TesseraError(conflictCode, {
      message: `username ${username} is already taken`,
      field: "body.username",
    });
  }
  if (request.sendEnrolmentEmail && user.email !== null) {
    try {
      await ctx.mailer.send({
        to: user.email,
        subject: "Your account is ready",
        text: `Hello${user.first_name ? ` ${user.first_name}` : ""},\n\nan account with the username ${user.username} was created for you.\n`,
      });
    } catch (error) {
      await deleteUser(ctx.database.db, user.id);
      if (!(error instanceof MailSendError)) throw error;
      throw new TesseraError(ApiReturnCode.EnrollUserSendNotoficationFailed, {
        message: "the enrolment e-mail could not be sent; the user was not created",
        cause: error,
      });
    }
  }
  return user;
}
