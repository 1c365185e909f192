import type { ServerContext } from "../../app/server-context.ts";
import { createAuthenticator } from "../../authenticators/create-authenticator.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";

/**
 * The TOTP token a sign-in offers for self-enrolment (shown once as a QR code; it counts only once
 * a code from it is confirmed on the enrol step). Every correct password of a user without a
 * factor reaches this: the tokens earlier sign-ins of this user made and nobody confirmed are
 * deleted first, so abandoned enrolments never pile up (at most the concurrent sign-ins' few), and
 * no earlier page's secret (perhaps seen by someone else who had the password) stays enrollable.
 * An earlier sign-in still at its enrol step then finds its token gone and is refused.
 */
export async function freshEnrolmentToken(
  ctx: ServerContext,
  tenant: Tenant,
  user: UserRow,
): Promise<string> {
  const { db } = ctx.database;
  await db
    .deleteFrom("authenticators")
    .where("user_id", "=", user.id)
    .where("activated", "=", 0)
    .where("id", "in", (eb) =>
      eb
        .selectFrom("sso_sign_ins")
        .select("enrol_id")
        .where("tenant_id", "=", tenant.id)
        .where("user_id", "=", user.id)
        .where("enrol_id", "is not", null)
        .$narrowType<{ enrol_id: string }>(),
    )
    .execute();
  const { row } = await createAuthenticator(ctx, tenant, { type: "totp" }, user);
  return row.id;
}
