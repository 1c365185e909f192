/**
 * FOUNDATION STUB (owned by the registration part): a security key or passkey as the API shows
 * it (never its public key material beyond what identifies it).
 */
export interface WebAuthnKeyView {
  readonly serial: string;
  readonly credentialId: string;
  readonly name: string;
  readonly aaguid: string;
  readonly attestationFormat: string;
  /** The credential may be synced to other devices (a passkey). */
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly transports: readonly string[];
  readonly legacyU2f: boolean;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly cloneSuspected: boolean;
}
