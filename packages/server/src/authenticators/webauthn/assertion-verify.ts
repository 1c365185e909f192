import { timingSafeEqual } from "node:crypto";
import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import { assertionError, signatureRefused } from "./assertion-errors.ts";
import { readAssertion } from "./assertion-input.ts";
import type { AuthenticationResult } from "./authentication-ceremony.ts";
import { spendCeremony } from "./ceremony-store.ts";
import { advanceCounter, findCredential, flagClone } from "./credential-counter.ts";
import { openCredentialKey } from "./credential-key.ts";
import { requireSignInUser, requireUsableKey } from "./sign-in-checks.ts";

/**
 * The WebAuthn user handle of a user: the UTF-8 bytes of the user's id, base64url (an opaque id,
 * no personal data, WebAuthn §14.6.1). Registration puts it in `user.id`; a discoverable
 * credential hands it back, and that is how a sign-in without a username finds its user.
 */
export const userHandleFor = (userId: string): string => Buffer.from(userId, "utf8").toString("base64url");

const unknownCredential = () =>
  new TesseraError(ApiReturnCode.BogusUniqueDeviceId, {
    message: "no security key with this credential id is registered for this user",
    field: "body.response.id",
  });

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** What an assertion is verified against: the ceremony, and the user when the caller knows it. */
export interface AssertionInput {
  readonly tenant: Tenant;
  readonly ceremonyId: unknown;
  readonly response: unknown;
  /** When given, must own the credential. */
  readonly user?: UserRow | undefined;
  /** For the audit event of a suspected clone. */
  readonly requestId?: string | undefined;
  readonly sourceIp?: string | undefined;
}

/** finishAuthentication's work (authentication-ceremony.ts). */
export async function verifyAssertion(
  ctx: ServerContext,
  input: AssertionInput,
): Promise<AuthenticationResult> {
  const { tenant } = input;
  // Spent before anything else: whatever follows refuses, this challenge is gone.
  const ceremony = await spendCeremony(ctx, tenant.id, "authentication", input.ceremonyId);
  const assertion = readAssertion(input.response);
  const stored = await findCredential(ctx, tenant.id, assertion.credentialId);
  // Unknown, another tenant's and another user's answer alike: nothing says which.
  if (stored === undefined) throw unknownCredential();
  const owner = stored.credential.user_id;
  if (ceremony.user_id !== null && ceremony.user_id !== owner) throw unknownCredential();
  if (input.user !== undefined && input.user.id !== owner) throw unknownCredential();
  // The authenticator names the user it holds the credential for, and it must be the credential's
  // owner (a credential cannot be presented as someone else's). A discoverable sign-in has nothing
  // else to go on, so the handle is required there; a named user's key may send none (security
  // keys and U2F keys hold no handle), but one it sends must match (WebAuthn §7.2 step 6).
  const handleRequired = ceremony.user_id === null;
  if (
    assertion.userHandle === undefined
      ? handleRequired
      : !sameText(assertion.userHandle, userHandleFor(owner))
  )
    throw unknownCredential();
  const user = await ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", owner)
    .where("tenant_id", "=", tenant.id)
    .executeTakeFirst();
  if (user === undefined) throw unknownCredential();
  requireSignInUser(ctx, user);
  requireUsableKey(ctx, stored);

  const { credential } = stored;
  // A legacy U2F key signed under its AppID when the client used the appid extension.
  const rpId = assertion.appid && credential.u2f_app_id !== null ? credential.u2f_app_id : ceremony.rp_id;
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response: assertion.json,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: JSON.parse(ceremony.origins) as string[],
      expectedRPID: [rpId],
      credential: {
        id: credential.credential_id,
        publicKey: openCredentialKey(ctx, stored.authenticator),
        // The counter is compared here only after the signature verified (below): the library
        // compares it before, and a forged assertion with a low counter would otherwise flag and
        // disable someone's key without its private key.
        counter: 0,
      },
      // The ceremony's policy, and never less than the tenant's now.
      requireUserVerification:
        ceremony.user_verification === "required" || tenant.webauthnUserVerification === "required",
    });
  } catch (error) {
    throw assertionError(error);
  }
  if (!verification.verified) throw signatureRefused();
  const info = verification.authenticationInfo;
  const now = ctx.clock.now();
  const counts = info.newCounter > 0 || credential.sign_count > 0;
  const moved =
    (!counts || info.newCounter > credential.sign_count) &&
    (await advanceCounter(
      ctx,
      credential,
      { counter: info.newCounter, backedUp: info.credentialBackedUp, userVerified: info.userVerified },
      now,
    ));
  if (!moved) {
    // The compare-and-set also fails for a key disabled since it was read (by an administrator,
    // or flagged by a racing verification): that is the disabled refusal, not a second flag.
    // A key deleted since it was read is simply unknown now: nothing to flag.
    const current = await findCredential(ctx, tenant.id, credential.credential_id);
    if (current === undefined) throw unknownCredential();
    requireUsableKey(ctx, current);
    await flagClone(
      ctx,
      stored,
      { counter: info.newCounter, requestId: input.requestId, sourceIp: input.sourceIp },
      now,
    );
    throw new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid, {
      message: `the signature counter of security key ${stored.authenticator.serial} did not move forward: a possible clone; the key is disabled until an administrator re-enables it`,
    });
  }
  return {
    user,
    authenticator: stored.authenticator,
    userVerified: info.userVerified,
    appClientId: ceremony.app_client_id,
  };
}
