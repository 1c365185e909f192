import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { ServerContext } from "../../app/server-context.ts";
import type { App } from "../../sso/apps/app.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import type { WebAuthnKeyView } from "./webauthn-key-view.ts";

export interface RegistrationStart {
  readonly ceremonyId: string;
  readonly expiresAt: number;
  readonly options: PublicKeyCredentialCreationOptionsJSON;
}

/**
 * FOUNDATION STUB (owned by the registration part): options for a new key of `user` (their
 * existing keys excluded), the ceremony stored (ceremony-store.ts). `residentKey` "required"
 * makes a passkey (discoverable credential).
 */
export async function startRegistration(
  _ctx: ServerContext,
  _input: {
    tenant: Tenant;
    user: UserRow;
    app?: App | undefined;
    residentKey?: "required" | "preferred" | "discouraged" | undefined;
  },
): Promise<RegistrationStart> {
  throw new Error("not built yet");
}

/**
 * FOUNDATION STUB (owned by the registration part): verifies the browser's response to the
 * ceremony `ceremonyId` (spent first), applies the tenant's attestation policy
 * (attestation-policy.ts) and stores the key. `user`, when given, must be the ceremony's.
 */
export async function finishRegistration(
  _ctx: ServerContext,
  _input: {
    tenant: Tenant;
    ceremonyId: unknown;
    response: unknown;
    name?: string | undefined;
    user?: UserRow | undefined;
  },
): Promise<WebAuthnKeyView> {
  throw new Error("not built yet");
}
