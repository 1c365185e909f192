import type { VerifiedRegistrationResponse } from "@simplewebauthn/server";
import type { ServerContext } from "../../app/server-context.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";

export type RegistrationInfo = NonNullable<VerifiedRegistrationResponse["registrationInfo"]>;

/**
 * FOUNDATION STUB (owned by the attestation part): what `attestation` conveyance the tenant's
 * registration options ask for ("none" policy: none; otherwise direct).
 */
export function attestationConveyance(tenant: Tenant): "none" | "direct" {
  return tenant.webauthnAttestation === "none" ? "none" : "direct";
}

/**
 * FOUNDATION STUB (owned by the attestation part): the root certificates (PEM) the attestation of
 * a key with `aaguid` may chain to, from the imported FIDO metadata. How they reach
 * verifyRegistrationResponse (its MetadataService or SettingsService) is that part's decision.
 */
export async function attestationRoots(_ctx: ServerContext, _aaguid: string): Promise<string[]> {
  return [];
}

/**
 * FOUNDATION STUB (owned by the attestation part): refuses a verified registration the tenant's
 * policy does not accept (InvalidAttestationError), e.g. an AAGUID not allow-listed or revoked
 * in the metadata.
 */
export async function checkAttestation(
  _ctx: ServerContext,
  _tenant: Tenant,
  _info: RegistrationInfo,
): Promise<void> {}
