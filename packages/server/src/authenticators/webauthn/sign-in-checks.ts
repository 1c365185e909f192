import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import type { UserRow } from "../../users/user-store.ts";
import { lockedError } from "../validate-otp.ts";
import type { StoredCredential } from "./credential-counter.ts";

/**
 * The refusals a security key shares with the one-time-code path: a disabled or expired user
 * (users/sign-in-refusal.ts), a disabled key (DeviceDiabled) and a locked one (the OTP path's
 * lock answer, naming how an administrator clears it).
 */
export function requireSignInUser(ctx: ServerContext, user: UserRow): void {
  const refused = signInRefusal(user, ctx.clock.now());
  if (refused !== undefined) throw new TesseraError(refused.code, { message: refused.message });
}

export function requireUsableKey(ctx: ServerContext, { credential, authenticator }: StoredCredential): void {
  if (authenticator.enabled !== 1)
    throw new TesseraError(ApiReturnCode.DeviceDiabled, {
      message:
        credential.clone_suspected_at === null
          ? `security key ${authenticator.serial} is disabled`
          : `security key ${authenticator.serial} is disabled: its signature counter went backwards (a possible clone); an administrator re-enables it with POST /v1/authenticators/${authenticator.serial}/enable`,
    });
  if (authenticator.locked_until !== null && authenticator.locked_until > ctx.clock.now())
    throw lockedError(authenticator, authenticator.locked_until);
}
