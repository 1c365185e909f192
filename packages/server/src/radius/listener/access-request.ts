import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Attribute, DecodedPacket } from "radius";
import type { ServerContext } from "../../app/server-context.ts";
import { type AuthenticatorRow, findForUser } from "../../authenticators/authenticator-store.ts";
import { oathTypes } from "../../authenticators/registry.ts";
import { validateOtp } from "../../authenticators/validate-otp.ts";
import { verifyPassword } from "../../passwords/verify-password.ts";
import { consumeAuthLimits } from "../../rate-limits/auth-rate-limit.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import type { RadiusClient } from "../clients/find-radius-client.ts";
import { answerChallenge } from "./answer-challenge.ts";
import { replyTexts } from "./radius-replies.ts";
import { splitCode } from "./split-code.ts";
import { startChallenge } from "./start-challenge.ts";

export interface AccessAnswer {
  readonly code: "Access-Accept" | "Access-Reject" | "Access-Challenge";
  readonly attributes: readonly Attribute[];
  /** For the audit trail: the API code the same outcome has over HTTP. */
  readonly resultCode: number;
  readonly username: string | undefined;
}

export interface AccessRequest {
  readonly ctx: ServerContext;
  readonly client: RadiusClient;
  readonly tenant: Tenant;
  readonly packet: DecodedPacket;
  /** The RADIUS client's address (the NAS), as the audit trail and the rate limits see it. */
  readonly source: string;
  /** The tenant's Access-Accept attributes in wire form (replyAttributesFor). */
  readonly replyAttributes: readonly Attribute[];
}

/** An Access-Accept with the tenant's reply attributes (Class, Session-Timeout, a VPN group...). */
export async function accept(request: AccessRequest, username: string): Promise<AccessAnswer> {
  return {
    code: "Access-Accept",
    attributes: request.replyAttributes,
    resultCode: ApiReturnCode.Success,
    username,
  };
}

export const reject = (username: string | undefined, resultCode: number): AccessAnswer => ({
  code: "Access-Reject",
  attributes: [["Reply-Message", replyTexts.rejected]],
  resultCode,
  username,
});

/**
 * An Access-Request with PAP. Every refusal is an Access-Reject with the same generic text; the
 * audit trail keeps the code the API would have answered (a wrong password, a locked account, a
 * wrong code). The checks are the API's own: the /v1/auth rate limits (the NAS is the source),
 * verifyPassword (lockout, disabled and expired accounts, expired passwords), validateOtp and the
 * out-of-band and push flows.
 */
export async function answerAccessRequest(request: AccessRequest): Promise<AccessAnswer> {
  const { ctx, tenant, packet } = request;
  const username = textAttribute(packet, "User-Name");
  const userPassword = textAttribute(packet, "User-Password");
  // Only PAP: CHAP and EAP cannot carry a password Argon2id can check.
  if (username === undefined || userPassword === undefined)
    return reject(username, TesseraApiCode.MalformedRequest);
  const closed = tenantRefusal(tenant, ctx.clock.now());
  if (closed !== undefined) return reject(username, closed);
  if ((await consumeAuthLimits(ctx, tenant.id, request.source)) !== undefined)
    return reject(username, TesseraApiCode.RateLimited);
  try {
    const state = packet.attributes.State;
    if (Buffer.isBuffer(state)) return await answerChallenge(request, username, state, userPassword);
    const { password, code } = splitCode(ctx.config.radius, userPassword);
    const user = await verifyPassword(ctx, tenant, username, password);
    const tokens = (await findForUser(ctx.database.db, user.id)).filter(
      (token) => token.enabled === 1 && token.activated === 1,
    );
    if (tokens.length === 0) return await withoutSecondFactor(request, user);
    if (code !== undefined) return await inlineCode(request, user, tokens, code);
    return await startChallenge(request, user, tokens);
  } catch (error) {
    if (TesseraError.is(error)) return reject(username, error.code);
    throw error;
  }
}

/**
 * A user without a second factor. RADIUS is Tessera answering a sign-in itself (as the SSO pages
 * do), not a tenant's back end deciding (as with POST /v1/auth/login), so the tenant's
 * `ssoSecondFactor` decides: `required` (the default) refuses, fail closed, since a VPN that takes
 * a password alone is exactly what the operator put Tessera in front of it to prevent; `optional`
 * lets the password alone in, for a roll-out while users enrol.
 */
async function withoutSecondFactor(request: AccessRequest, user: UserRow): Promise<AccessAnswer> {
  if (request.tenant.ssoSecondFactor === "required")
    throw new TesseraError(ApiReturnCode.NoDevicesDefined, {
      message: "the tenant requires a second factor and the user has none",
    });
  return accept(request, user.username);
}

/**
 * A disabled or expired tenant signs nobody in, as its API keys and SSO issuer are refused: the
 * RADIUS clients it added must not keep a door open that the API has closed.
 */
function tenantRefusal(tenant: Tenant, now: number): number | undefined {
  if (tenant.disabled) return ApiReturnCode.PartnerLoginFailed;
  if (tenant.expiresAt !== null && tenant.expiresAt <= now) return ApiReturnCode.AccountExpired;
  return undefined;
}

/** Password and code in one attribute: the code is an OATH token's (nothing was sent yet). */
async function inlineCode(
  request: AccessRequest,
  user: UserRow,
  tokens: readonly AuthenticatorRow[],
  code: string,
): Promise<AccessAnswer> {
  const oath = tokens.filter((token) => oathTypes.some((type) => type.type === token.type));
  await validateOtp(request.ctx, request.tenant, oath, code);
  return accept(request, user.username);
}

/** A string attribute, undefined when absent, repeated or not text. */
export function textAttribute(packet: DecodedPacket, name: string): string | undefined {
  const value = packet.attributes[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
