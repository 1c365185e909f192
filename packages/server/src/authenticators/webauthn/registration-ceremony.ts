import {
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { App } from "../../sso/apps/app.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import {
  attestationConveyance,
  attestationFailure,
  checkAttestation,
  type RegistrationInfo,
} from "./attestation-policy.ts";
import { CEREMONY_TTL_MS, createCeremony, newChallenge, spendCeremony } from "./ceremony-store.ts";
import { checkCosePublicKey, supportedAlgorithmIds } from "./cose-public-key.ts";
import { insertCredential, listCredentialIds } from "./credential-store.ts";
import { registrationResponseProblem } from "./registration-response.ts";
import { relyingPartyFor } from "./relying-party.ts";
import { invalidRegistrationShape, registrationError } from "./webauthn-errors.ts";
import type { WebAuthnKeyView } from "./webauthn-key-view.ts";

export interface RegistrationStart {
  readonly ceremonyId: string;
  readonly expiresAt: number;
  readonly options: PublicKeyCredentialCreationOptionsJSON;
}

/**
 * The user handle of a user's credentials: the UTF-8 bytes of their id (never the username, which
 * a person may change and which is personal data the authenticator would keep).
 */
export const userHandleOf = (user: UserRow): Uint8Array<ArrayBuffer> =>
  new Uint8Array(Buffer.from(user.id, "utf8"));

/**
 * Options for a new key of `user` (their existing keys excluded), the ceremony stored
 * (ceremony-store.ts) with the challenge, RP id, origins and user verification it was started
 * with, so nothing the client sends back chooses them. `residentKey` "required" makes a passkey.
 */
export async function startRegistration(
  ctx: ServerContext,
  input: {
    tenant: Tenant;
    user: UserRow;
    app?: App | undefined;
    residentKey?: "required" | "preferred" | "discouraged" | undefined;
  },
): Promise<RegistrationStart> {
  const { tenant, user } = input;
  const rp = relyingPartyFor(ctx, tenant, input.app);
  const challenge = newChallenge();
  const residentKey = input.residentKey ?? "preferred";
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userID: userHandleOf(user),
    // Bytes, so that the options carry exactly the stored challenge (a string would be UTF-8 encoded again).
    challenge: new Uint8Array(Buffer.from(challenge, "base64url")),
    userDisplayName: user.username,
    timeout: CEREMONY_TTL_MS,
    attestationType: attestationConveyance(tenant),
    excludeCredentials: await listCredentialIds(ctx, tenant.id, user.id),
    authenticatorSelection: {
      residentKey,
      requireResidentKey: residentKey === "required",
      userVerification: tenant.webauthnUserVerification,
    },
    supportedAlgorithmIDs: supportedAlgorithmIds,
  });
  const { ceremonyId, expiresAt } = await createCeremony(ctx, {
    tenant_id: tenant.id,
    user_id: user.id,
    kind: "registration",
    challenge,
    rp_id: rp.id,
    origins: JSON.stringify(rp.origins),
    user_verification: tenant.webauthnUserVerification,
    app_client_id: input.app?.clientId ?? null,
  });
  return { ceremonyId, expiresAt, options };
}

async function verified(
  ceremony: Awaited<ReturnType<typeof spendCeremony>>,
  response: RegistrationResponseJSON,
  tenant: Tenant,
) {
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: JSON.parse(ceremony.origins) as string[],
      expectedRPID: ceremony.rp_id,
      requireUserPresence: true,
      // The ceremony's policy, and never less than the tenant's now (as sign-in does).
      requireUserVerification:
        ceremony.user_verification === "required" || tenant.webauthnUserVerification === "required",
      supportedAlgorithmIDs: supportedAlgorithmIds,
    });
    if (!result.verified || result.registrationInfo === undefined)
      throw new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationSig, {
        message: "the attestation statement's signature does not verify",
        field: "body.response.response.attestationObject",
      });
    return result.registrationInfo;
  } catch (error) {
    throw attestationFailure(error) ?? registrationError(error);
  }
}

/** Transports as the browser listed them, kept only when they are short words (shown in views). */
const transportsOf = (response: RegistrationResponseJSON): string[] =>
  (response.response.transports ?? [])
    .filter((t) => typeof t === "string" && /^[a-z-]{1,20}$/.test(t))
    .slice(0, 8);

const keyName = (info: RegistrationInfo, name: string | undefined) =>
  name ?? (info.credentialDeviceType === "multiDevice" ? "Passkey" : "Security key");

/**
 * Verifies the browser's response to the ceremony `ceremonyId`: the ceremony is spent FIRST (a
 * failed verification cannot be retried with the same challenge, and of concurrent verifications
 * only one goes on), then the response is checked against what the ceremony stored, the tenant's
 * attestation policy applied (attestation-policy.ts) and the key stored. `user`, when given, must
 * be the ceremony's: another user's ceremony is InvalidSessionIdData like an unknown one.
 */
export async function finishRegistration(
  ctx: ServerContext,
  input: {
    tenant: Tenant;
    ceremonyId: unknown;
    response: unknown;
    name?: string | undefined;
    user?: UserRow | undefined;
  },
): Promise<WebAuthnKeyView> {
  const { tenant } = input;
  const ceremony = await spendCeremony(ctx, tenant.id, "registration", input.ceremonyId);
  if (ceremony.user_id === null || (input.user !== undefined && input.user.id !== ceremony.user_id))
    throw new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData, {
      message: "the ceremony is unknown, expired or already used: start a new one",
      field: "body.ceremonyId",
    });
  const problem = registrationResponseProblem(input.response);
  if (problem !== undefined) throw invalidRegistrationShape(problem);
  const response = input.response as RegistrationResponseJSON;
  const info = await verified(ceremony, response, tenant);
  const algorithm = checkCosePublicKey(info.credential.publicKey);
  await checkAttestation(ctx, tenant, info);
  return insertCredential(
    ctx,
    {
      tenant_id: tenant.id,
      user_id: ceremony.user_id,
      credential_id: info.credential.id,
      rp_id: ceremony.rp_id,
      u2f_app_id: null,
      name: keyName(info, input.name),
      sign_count: info.credential.counter,
      transports: JSON.stringify(transportsOf(response)),
      aaguid: info.aaguid,
      attestation_format: info.fmt,
      backup_eligible: info.credentialDeviceType === "multiDevice" ? 1 : 0,
      backed_up: info.credentialBackedUp ? 1 : 0,
      user_verified: info.userVerified ? 1 : 0,
    },
    { publicKey: info.credential.publicKey, algorithm },
  );
}
