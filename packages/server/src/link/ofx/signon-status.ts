import { CredentialStatus } from "@tessera/codes";

/**
 * OFX status codes (OFX 2.2 §2.5.1, §3.1.5) mapped onto credential statuses. 3000 is not a
 * failure: it asks for the MFA challenge exchange, which the connector turns into Waiting.
 */
export const ofxStatusMapping: ReadonlyArray<
  readonly [code: number, status: CredentialStatus, meaning: string]
> = [
  [2000, CredentialStatus.Error, "General error"],
  [3001, CredentialStatus.Invalidtoken, "MFA challenge information is invalid"],
  [15000, CredentialStatus.UserAction, "User must change USERPASS"],
  [15500, CredentialStatus.Unauthorized, "Signon invalid (wrong user id or password)"],
  [15501, CredentialStatus.Conflict, "Customer account already in use"],
  [15502, CredentialStatus.Locked, "USERPASS lockout"],
  [15503, CredentialStatus.LoginError, "Could not change USERPASS"],
  [15504, CredentialStatus.Error, "Could not provide random data"],
  [15505, CredentialStatus.Unavailable, "Country system not available"],
  [15506, CredentialStatus.LoginError, "Empty signon not supported"],
  [15507, CredentialStatus.UserAction, "Signon invalid without supporting pin change request"],
  [15508, CredentialStatus.UserAction, "Transaction not authorized"],
  [15510, CredentialStatus.LoginError, "CLIENTUID error"],
  [15511, CredentialStatus.UserAction, "User should contact financial institution"],
  [15512, CredentialStatus.LoginError, "AUTHTOKEN required"],
  [15513, CredentialStatus.Invalidtoken, "AUTHTOKEN invalid"],
  [13000, CredentialStatus.UserAction, "User ID & password will be sent out-of-band"],
  [13500, CredentialStatus.UserAction, "Unable to enroll user"],
];

const byCode = new Map(ofxStatusMapping.map(([code, status]) => [code, status]));

/** Any other non-zero signon code is LoginError: the login failed for a reason we cannot name. */
export function credentialStatusForOfx(code: number): CredentialStatus {
  return byCode.get(code) ?? CredentialStatus.LoginError;
}
