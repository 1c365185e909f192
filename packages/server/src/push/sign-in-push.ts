import type { ServerContext } from "../app/server-context.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import type { UserRow } from "../users/user-store.ts";

export interface SignInPushContext {
  readonly app?: string | undefined;
  readonly sourceIp: string;
  readonly location?: string | undefined;
  readonly reason?: string | undefined;
}

export interface SignInPush {
  readonly id: string;
  readonly reference: string;
  /** The two-digit number the sign-in screen shows and the app must echo. */
  readonly numberToMatch: number;
  readonly expiresAt: number;
}

export type SignInPushState = "pending" | "approved" | "rejected" | "expired";

/**
 * Sends a sign-in approval request to the user's push device: number matching, expiry, per-user
 * cap and cool-down, refused while a fraud report stands. FOUNDATION STUB (issue 14): the push
 * sign-in part implements it.
 */
export async function createSignInPush(
  _ctx: ServerContext,
  _input: { readonly tenant: Tenant; readonly user: UserRow; readonly context: SignInPushContext },
): Promise<SignInPush> {
  throw new Error("createSignInPush is not built yet");
}

/** The request's state for its tenant and user; a final state is read once it is set. STUB. */
export async function signInPushState(
  _ctx: ServerContext,
  _input: { readonly tenant: Tenant; readonly user: UserRow; readonly id: string },
): Promise<SignInPushState> {
  throw new Error("signInPushState is not built yet");
}
