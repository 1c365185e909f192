import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../../app/server-context.ts";
import type { Tenant } from "../../../tenants/tenant-store.ts";
import type { UserRow } from "../../../users/user-store.ts";
import { insertCredential } from "../credential-store.ts";
import { relyingPartyFor } from "../relying-party.ts";
import type { WebAuthnKeyView } from "../webauthn-key-view.ts";
import type { U2fRegistration } from "./u2f-registration.ts";

/** U2F keys have no AAGUID: WebAuthn's all-zero one, as a fido-u2f attestation reports. */
const NO_AAGUID = "00000000-0000-0000-0000-000000000000";

export interface U2fImport {
  readonly registration: U2fRegistration;
  readonly counter: number;
  readonly name: string;
}

/**
 * Stores an imported U2F key as a registered one (credential-store.ts): the COSE public key
 * sealed in its authenticators row, and its webauthn_credentials row with the AppID (so sign-in
 * expects the AppID's hash through the `appid` extension) and the counter the previous server
 * last saw (so an assertion from before the move, or from a clone, is refused as a counter that
 * goes back). A key handle the tenant already has is DeviceAlreadyProvisioned: importing the same
 * registration again changes nothing.
 */
export async function importU2fKey(
  ctx: ServerContext,
  tenant: Tenant,
  user: UserRow,
  key: U2fImport,
): Promise<WebAuthnKeyView> {
  try {
    return await insertCredential(
      ctx,
      {
        tenant_id: tenant.id,
        user_id: user.id,
        credential_id: key.registration.credentialId,
        rp_id: relyingPartyFor(ctx, tenant).id,
        u2f_app_id: key.registration.appId,
        name: key.name,
        sign_count: key.counter,
        // Unknown: the previous server kept none (U2F keys were USB, NFC or BLE).
        transports: "[]",
        aaguid: NO_AAGUID,
        attestation_format: "fido-u2f",
        backup_eligible: 0,
        backed_up: 0,
        // U2F has no user verification (touch only).
        user_verified: 0,
      },
      { publicKey: key.registration.cosePublicKey, algorithm: "ES256" },
    );
  } catch (error) {
    // insertCredential answers a repeated credential id as a registration response would.
    if (TesseraError.is(error) && error.code === ApiReturnCode.PartnerUserFIDOU2FInvalidRegData)
      throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
        message: "a security key with this key handle is already registered in the tenant",
        field: "body.keyHandle",
      });
    throw error;
  }
}
