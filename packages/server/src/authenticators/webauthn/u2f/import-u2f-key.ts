import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../../app/server-context.ts";
import type { Tenant } from "../../../tenants/tenant-store.ts";
import type { UserRow } from "../../../users/user-store.ts";
import { newAuthenticatorId, newAuthenticatorRow } from "../../authenticator-store.ts";
import { generateSerial } from "../../serial.ts";
import { sealCredentialKey } from "../credential-key.ts";
import { relyingPartyFor } from "../relying-party.ts";
import type { WebAuthnKeyView } from "../webauthn-key-view.ts";
import { webauthnType } from "../webauthn-type.ts";
import type { U2fRegistration } from "./u2f-registration.ts";

/** U2F keys have no AAGUID: WebAuthn's all-zero one, as a fido-u2f attestation reports. */
const NO_AAGUID = "00000000-0000-0000-0000-000000000000";

export interface U2fImport {
  readonly registration: U2fRegistration;
  readonly counter: number;
  readonly name: string;
}

/**
 * Stores an imported U2F key as a registered one: an authenticators row of type webauthn whose
 * sealed secret is the COSE public key, and its webauthn_credentials row with the AppID (so
 * sign-in expects the AppID's hash through the `appid` extension) and the counter the previous
 * server last saw (so a signature replayed from before the move is refused as a counter going
 * back). Both rows in one transaction; a key handle already registered in the tenant is refused.
 */
export async function importU2fKey(
  ctx: ServerContext,
  tenant: Tenant,
  user: UserRow,
  key: U2fImport,
): Promise<WebAuthnKeyView> {
  const now = ctx.clock.now();
  const id = newAuthenticatorId();
  const serial = generateSerial(webauthnType.type);
  const row = newAuthenticatorRow(
    {
      id,
      tenant_id: tenant.id,
      serial,
      type: webauthnType.type,
      secret_enc: sealCredentialKey(ctx, id, key.registration.cosePublicKey),
      algorithm: "ES256",
      digits: 0,
      period: null,
      user_id: user.id,
      // The private key never left the security key.
      seed_revealed: 0,
    },
    now,
  );
  await ctx.database.db.transaction().execute(async (trx) => {
    await trx.insertInto("authenticators").values(row).execute();
    const credential = await trx
      .insertInto("webauthn_credentials")
      .values({
        authenticator_id: id,
        tenant_id: tenant.id,
        user_id: user.id,
        credential_id: key.registration.credentialId,
        rp_id: relyingPartyFor(ctx, tenant).id,
        u2f_app_id: key.registration.appId,
        name: key.name,
        sign_count: key.counter,
        transports: "[]",
        aaguid: NO_AAGUID,
        attestation_format: "fido-u2f",
        backup_eligible: 0,
        backed_up: 0,
        user_verified: 0,
        created_at: now,
        last_used_at: null,
        clone_suspected_at: null,
      })
      .onConflict((oc) => oc.columns(["tenant_id", "credential_id"]).doNothing())
      .executeTakeFirst();
    // The authenticators row goes with the refusal (the transaction rolls back).
    if (Number(credential.numInsertedOrUpdatedRows ?? 0n) !== 1)
      throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
        message: "a security key with this key handle is already registered in the tenant",
        field: "body.keyHandle",
      });
  });
  return {
    serial,
    credentialId: key.registration.credentialId,
    name: key.name,
    aaguid: NO_AAGUID,
    attestationFormat: "fido-u2f",
    backupEligible: false,
    backedUp: false,
    transports: [],
    legacyU2f: true,
    createdAt: new Date(now).toISOString(),
    lastUsedAt: null,
    cloneSuspected: false,
  };
}
