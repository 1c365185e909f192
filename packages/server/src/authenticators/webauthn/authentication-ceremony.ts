import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { App } from "../../sso/apps/app.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import type { AuthenticatorRow } from "../authenticator-store.ts";
import { type AssertionInput, verifyAssertion } from "./assertion-verify.ts";
import { CEREMONY_TTL_MS, createCeremony, newChallenge } from "./ceremony-store.ts";
import { credentialsOfUser, type StoredCredential } from "./credential-counter.ts";
import { relyingPartyFor } from "./relying-party.ts";
import { requireSignInUser } from "./sign-in-checks.ts";

export interface AuthenticationStart {
  readonly ceremonyId: string;
  readonly expiresAt: number;
  readonly options: PublicKeyCredentialRequestOptionsJSON;
}

export interface AuthenticationResult {
  readonly user: UserRow;
  readonly authenticator: AuthenticatorRow;
  /** The UV flag: the person was verified on the authenticator (a PIN or biometric). */
  readonly userVerified: boolean;
  /** The SSO app the ceremony named (`clientId`), whose access policies the API applies. */
  readonly appClientId: string | null;
}

type UserVerification = "required" | "preferred" | "discouraged";

/**
 * Options for signing in with one of `user`'s keys (allowCredentials), or with none given for a
 * discoverable credential (a passkey without a username: empty allowCredentials, the user found
 * from the credential at verify). `userVerification` overrides the tenant's (passkey sign-in:
 * required), but never below it: a tenant that requires UV gets it whatever the caller asks.
 *
 * With a user: NoEnrolledDevices when the user has no WebAuthn key at all; PrepareSignDataError
 * when they have keys but none this ceremony can use (all of another relying party id, disabled,
 * locked or flagged as possible clones) — the message says which.
 */
export async function startAuthentication(
  ctx: ServerContext,
  input: {
    tenant: Tenant;
    user?: UserRow | undefined;
    app?: App | undefined;
    userVerification?: UserVerification | undefined;
  },
): Promise<AuthenticationStart> {
  const { tenant, user, app } = input;
  const rp = relyingPartyFor(ctx, tenant, app);
  const userVerification: UserVerification =
    tenant.webauthnUserVerification === "required"
      ? "required"
      : (input.userVerification ?? tenant.webauthnUserVerification);
  let usable: StoredCredential[] = [];
  if (user !== undefined) {
    requireSignInUser(ctx, user);
    usable = usableKeys(ctx, await credentialsOfUser(ctx, user.id), rp.id);
  }
  const appId = usable.find((k) => k.credential.u2f_app_id !== null)?.credential.u2f_app_id ?? undefined;
  const challenge = newChallenge();
  const { ceremonyId, expiresAt } = await createCeremony(ctx, {
    tenant_id: tenant.id,
    user_id: user?.id ?? null,
    kind: "authentication",
    challenge,
    rp_id: rp.id,
    origins: JSON.stringify(rp.origins),
    user_verification: userVerification,
    app_client_id: app?.clientId ?? null,
  });
  const options: PublicKeyCredentialRequestOptionsJSON = {
    challenge,
    timeout: CEREMONY_TTL_MS,
    rpId: rp.id,
    allowCredentials: usable.map(({ credential }) => ({
      id: credential.credential_id,
      type: "public-key",
      transports: JSON.parse(credential.transports),
    })),
    userVerification,
    ...(appId === undefined ? {} : { extensions: { appid: appId } }),
  };
  return { ceremonyId, expiresAt, options };
}

/** The keys a ceremony of relying party `rpId` can offer; the refusals named above otherwise. */
function usableKeys(ctx: ServerContext, keys: readonly StoredCredential[], rpId: string): StoredCredential[] {
  if (keys.length === 0)
    throw new TesseraError(ApiReturnCode.PartnerUserFIDOU2FNoEnrolledDevices, {
      message: "the user has no security key or passkey",
    });
  const now = ctx.clock.now();
  // A legacy U2F key signs under its AppID (the `appid` extension), whatever the RP id is now.
  const ofRp = keys.filter(({ credential }) => credential.rp_id === rpId || credential.u2f_app_id !== null);
  // A key flagged as a possible clone was disabled with the flag (credential-counter.ts): it is
  // out until an administrator re-enables it, which is the administrator's clearance.
  const usable = ofRp.filter(
    ({ authenticator }) =>
      authenticator.enabled === 1 &&
      (authenticator.locked_until === null || authenticator.locked_until <= now),
  );
  if (usable.length > 0) return usable;
  throw new TesseraError(ApiReturnCode.PartnerUserFIDOU2FPrepareSignDataError, {
    message:
      ofRp.length === 0
        ? `the user's keys are all registered for another relying party id than ${rpId}`
        : `none of the user's keys for ${rpId} can be used now: ${ofRp.map(({ authenticator }) => authenticator.serial).join(", ")} disabled (a key flagged as a possible clone is disabled) or locked`,
  });
}

/**
 * Verifies an assertion for the ceremony: spent first (a failed verification cannot be retried
 * with the same challenge), then the credential and its holder, the signature with the stored
 * key, and the counter moved on by a compare-and-set (assertion-verify.ts). `user`, when given,
 * must own the credential.
 */
export async function finishAuthentication(
  ctx: ServerContext,
  input: AssertionInput,
): Promise<AuthenticationResult> {
  return verifyAssertion(ctx, input);
}
