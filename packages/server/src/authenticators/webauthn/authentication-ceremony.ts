import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { ServerContext } from "../../app/server-context.ts";
import type { App } from "../../sso/apps/app.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import type { AuthenticatorRow } from "../authenticator-store.ts";

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
}

/**
 * FOUNDATION STUB (owned by the authentication part): options for signing in with one of
 * `user`'s keys (allowCredentials), or with none given for a discoverable credential (a passkey
 * without a username). `userVerification` overrides the tenant's (passkey sign-in: required).
 */
export async function startAuthentication(
  _ctx: ServerContext,
  _input: {
    tenant: Tenant;
    user?: UserRow | undefined;
    app?: App | undefined;
    userVerification?: "required" | "preferred" | "discouraged" | undefined;
  },
): Promise<AuthenticationStart> {
  throw new Error("not built yet");
}

/**
 * FOUNDATION STUB (owned by the authentication part): verifies an assertion for the ceremony
 * (spent first), moves the counter on by a compare-and-set (a counter that goes back is refused
 * and flagged), and returns whose key it was. `user`, when given, must own the credential.
 */
export async function finishAuthentication(
  _ctx: ServerContext,
  _input: { tenant: Tenant; ceremonyId: unknown; response: unknown; user?: UserRow | undefined },
): Promise<AuthenticationResult> {
  throw new Error("not built yet");
}
