import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import type { UserRow } from "../../users/user-store.ts";
import { PAT_GRANT_TYPE } from "../apps/app.ts";
import { findApp } from "../apps/app-store.ts";
import { createPat, type PatRow } from "./pat-store.ts";

const DAY_MS = 24 * 3600 * 1000;

export interface PatRequest {
  readonly clientId: string;
  readonly name: string;
  readonly expiresInDays: number;
}

/**
 * Creates a token for `user` and the tenant's app `clientId`, shared by the API and the
 * self-service page; `field` names the inputs as the caller's errors should. Refused: a user who
 * cannot sign in (a token would outlive the refusal's reason only to be refused at exchange), an
 * app of another tenant or unknown (NotFound, the same answer), an app that does not take PATs,
 * and an expiry beyond personalAccessTokens.maxDays.
 *
 * `secondFactor`: whether the caller proved the user's second factor, or is trusted to act for
 * the user. Without it, an app that requires a second factor gets no token: a token is a way in
 * that never meets the sign-in pages again, so it must not be had with less than they would ask.
 * Such an attempt is PartnerUserLoginAttepmtedOTPByPass, like every other way around the factor.
 */
export async function createPatFor(
  ctx: ServerContext,
  user: UserRow,
  input: PatRequest,
  field: (name: keyof PatRequest) => string,
  secondFactor: boolean,
): Promise<{ token: string; row: PatRow }> {
  const now = ctx.clock.now();
  const refusal = signInRefusal(user, now);
  if (refusal !== undefined)
    throw new TesseraError(refusal.code, { message: `${refusal.message}; no token can be created` });
  const maxDays = ctx.config.personalAccessTokens.maxDays;
  if (!Number.isSafeInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > maxDays)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `${field("expiresInDays")} must be a whole number of days from 1 to ${maxDays} (personalAccessTokens.maxDays)`,
      field: field("expiresInDays"),
    });
  const name = input.name.trim();
  if (name === "" || [...name].some((c) => c < " " || c === "\u007f"))
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `${field("name")} must be printable text`,
      field: field("name"),
    });
  const app = await findApp(ctx, user.tenant_id, input.clientId);
  if (app === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no app ${input.clientId}`,
      field: field("clientId"),
    });
  if (!app.grantTypes.includes(PAT_GRANT_TYPE))
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `the app ${app.clientId} does not allow personal access tokens (its grant types lack ${PAT_GRANT_TYPE})`,
      field: field("clientId"),
    });
  if (app.requireSecondFactor && !secondFactor)
    throw new TesseraError(ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass, {
      message: `the app ${app.clientId} requires a second factor, which this session did not prove`,
      field: field("clientId"),
    });
  return createPat(ctx, {
    tenantId: user.tenant_id,
    userId: user.id,
    clientId: app.clientId,
    name,
    expiresAt: now + input.expiresInDays * DAY_MS,
  });
}
