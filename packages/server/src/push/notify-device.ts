import type { ServerContext } from "../app/server-context.ts";
import type { ApprovalRequestRow } from "../approvals/approval-store.ts";
import type { AuthenticatorRow } from "../authenticators/authenticator-store.ts";

/**
 * Tells a push device that `request` waits for it. Never throws: delivery is best effort, the app
 * can always poll. STUB of the transaction-signing branch with the signature of parts.md: the push
 * app part (branch i14-push-app) owns this file and replaces it at merge.
 */
export async function notifyDevice(
  _ctx: ServerContext,
  _device: AuthenticatorRow,
  _request: ApprovalRequestRow,
): Promise<unknown> {
  return undefined;
}
