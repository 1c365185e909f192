import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { AuthenticatorRow } from "../../authenticators/authenticator-store.ts";
import { challengeDeviceType, oathTypes } from "../../authenticators/registry.ts";
import { sendChallenge } from "../../out-of-band/challenges/challenge-operations.ts";
import { createSignInPush } from "../../push/sign-in-push.ts";
import type { UserRow } from "../../users/user-store.ts";
import type { AccessAnswer, AccessRequest } from "./access-request.ts";
import { createRadiusChallenge } from "./challenge-store.ts";
import { replyTexts } from "./radius-replies.ts";

/**
 * The password was right and no code came with it: an Access-Challenge for the second factor.
 * Which one, when a user has several: an OATH token first (the person types its code, nothing is
 * sent), else a phone or e-mail device (a code is sent now, the same send and limits as POST
 * /v1/auth/challenge), else a push device (a sign-in push now; the person approves it, then
 * answers the challenge with anything, and the retry is accepted once the push is approved).
 */
export async function startChallenge(
  request: AccessRequest,
  user: UserRow,
  tokens: readonly AuthenticatorRow[],
): Promise<AccessAnswer> {
  const { ctx, client, tenant, source } = request;
  const base = { tenantId: tenant.id, clientId: client.id, userId: user.id };
  if (tokens.some((token) => oathTypes.some((type) => type.type === token.type))) {
    const state = await createRadiusChallenge(ctx, { ...base, kind: "otp" });
    return challenge(user, state, replyTexts.enterCode);
  }
  if (tokens.some((token) => challengeDeviceType(token.type) !== undefined)) {
    const sent = await sendChallenge(ctx, { tenant, user, sourceIp: source, locale: "en" });
    const state = await createRadiusChallenge(ctx, {
      ...base,
      kind: "sent",
      challengeCodeId: sent.challengeId,
    });
    return challenge(user, state, replyTexts.enterSentCode);
  }
  // A user whose only second factor is a security key cannot answer over RADIUS: refused, never
  // let through on the password alone.
  if (!tokens.some((token) => token.type === "push"))
    throw new TesseraError(ApiReturnCode.NoDevicesDefined, {
      message: "the user has no second factor RADIUS can ask for",
    });
  const push = await createSignInPush(ctx, {
    tenant,
    user,
    context: { sourceIp: source, reason: `VPN or network sign-in through ${client.name}` },
  });
  const state = await createRadiusChallenge(ctx, { ...base, kind: "push", approvalId: push.id });
  return challenge(user, state, replyTexts.approvePush(push.numberToMatch));
}

export function challenge(user: UserRow, state: Buffer, text: string): AccessAnswer {
  return {
    code: "Access-Challenge",
    attributes: [
      ["State", state],
      ["Reply-Message", text],
    ],
    resultCode: ApiReturnCode.Success,
    username: user.username,
  };
}
