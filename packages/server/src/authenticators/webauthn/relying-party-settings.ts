import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { Tenant, TenantSettings } from "../../tenants/tenant-store.ts";
import {
  effectiveRpId,
  originProblem,
  requireValidRelyingParty,
  requireValidU2fAppId,
} from "./relying-party.ts";

/**
 * The check of a tenant PATCH's WebAuthn settings, on the relying party as it would be after the
 * change: a new RP id with the origins kept, new origins under the RP id kept, publicUrl's origin
 * when no origins are listed, and the apps' own origins (which must stay under the RP id).
 * BogusFIDOAppId names the field the change would break.
 */
export async function requireValidTenantRelyingParty(
  ctx: ServerContext,
  tenant: Tenant,
  changes: TenantSettings,
): Promise<void> {
  if (changes.webauthnU2fAppId !== undefined && changes.webauthnU2fAppId !== null)
    requireValidU2fAppId(changes.webauthnU2fAppId, "body.webauthnU2fAppId");
  if (changes.webauthnRpId === undefined && changes.webauthnOrigins === undefined) return;
  const rpId = changes.webauthnRpId !== undefined ? changes.webauthnRpId : tenant.webauthnRpId;
  const origins = changes.webauthnOrigins ?? tenant.webauthnOrigins;
  const originsField = changes.webauthnOrigins === undefined ? "body.webauthnRpId" : "body.webauthnOrigins";
  requireValidRelyingParty(ctx, rpId, origins, { rpId: "body.webauthnRpId", origins: originsField });
  const id = effectiveRpId(ctx, rpId);
  const refuse = (message: string) =>
    new TesseraError(ApiReturnCode.BogusFIDOAppId, { message, field: "body.webauthnRpId" });
  if (origins.length === 0 && originProblem(new URL(ctx.publicUrl).origin, id) !== undefined)
    throw refuse(
      `body.webauthnRpId ${id} does not fit publicUrl's origin ${new URL(ctx.publicUrl).origin}, the default origin: list webauthnOrigins too`,
    );
  if (changes.webauthnRpId === undefined) return;
  const apps = await ctx.database.db
    .selectFrom("sso_apps")
    .select(["client_id", "webauthn_origins"])
    .where("tenant_id", "=", tenant.id)
    .where("webauthn_origins", "!=", "[]")
    .execute();
  for (const app of apps)
    for (const origin of JSON.parse(app.webauthn_origins) as string[])
      if (originProblem(origin, id) !== undefined)
        throw refuse(
          `body.webauthnRpId ${id} does not fit app ${app.client_id}'s WebAuthn origin ${origin}: change the app first`,
        );
}
