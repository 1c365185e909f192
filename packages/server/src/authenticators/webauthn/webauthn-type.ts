import type { WebAuthnType } from "../authenticator-type.ts";

/** A security key or passkey, registered and used through WebAuthn ceremonies (this folder). */
export const webauthnType: WebAuthnType = { kind: "webauthn", type: "webauthn" };
