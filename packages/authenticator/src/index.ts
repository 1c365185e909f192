/**
 * @tessera/authenticator: the reference push authenticator (the tessera-authenticator command)
 * and the app protocol's building blocks, for a program that answers requests itself.
 */

export { ExitCode } from "./cli/exit-codes.ts";
export { runAuthenticator } from "./cli/program.ts";
export { AppClient, type TimestampSource } from "./protocol/app-client.ts";
export {
  type ApprovalAnswer,
  approvalPayload,
  canonicalJson,
  type Decision,
} from "./protocol/approval-payload.ts";
export { generateDeviceKey, type KeyAlgorithm, keyAlgorithms, signWith } from "./protocol/device-key.ts";
export type { RequestItem } from "./protocol/request-item.ts";
export { APP_SIGNATURE_TAG, appSigningString } from "./protocol/signing-string.ts";
export type { Account } from "./state/account.ts";
export { StateStore } from "./state/state-store.ts";
