import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { findForUser } from "../../authenticators/authenticator-store.ts";
import { oathTypes } from "../../authenticators/registry.ts";
import { validateOtp } from "../../authenticators/validate-otp.ts";
import { verifyChallengeCode } from "../../out-of-band/challenges/verify-challenge.ts";
import { signInPushState } from "../../push/sign-in-push.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import { findUser } from "../../users/user-store.ts";
import { requireWellFormed } from "../../users/username.ts";
import { type AccessAnswer, type AccessRequest, accept } from "./access-request.ts";
import { findRadiusChallenge, type RadiusChallengeRow, spendRadiusChallenge } from "./challenge-store.ts";
import { replyTexts } from "./radius-replies.ts";

const unknownState = () =>
  new TesseraError(ApiReturnCode.OTPInvalid, { message: "no open RADIUS challenge for this State" });

/**
 * The answer to an Access-Challenge: User-Password holds the code. The State must be an open
 * challenge of this client for this user (another client's or user's State is unknown). It is
 * spent before the code is checked, so one challenge (one verified password) buys exactly one
 * guess, in whichever process the packet lands; a push challenge is spent only once its push is
 * answered, so the person can press Enter again while the push waits.
 */
export async function answerChallenge(
  request: AccessRequest,
  username: string,
  state: Buffer,
  otp: string,
): Promise<AccessAnswer> {
  const { ctx, client, tenant } = request;
  const row = await findRadiusChallenge(ctx, client.id, state);
  if (row === undefined || row.tenant_id !== tenant.id) throw unknownState();
  const user = await findUser(ctx.database.db, tenant.id, requireWellFormed(username, "User-Name"));
  if (user === undefined || user.id !== row.user_id) throw unknownState();
  const refusal = signInRefusal(user, ctx.clock.now());
  if (refusal !== undefined) throw new TesseraError(refusal.code, { message: refusal.message });
  if (row.kind === "push") return answerPush(request, row, user.username, state);
  if (!(await spendRadiusChallenge(ctx, row))) throw unknownState();
  if (row.kind === "sent")
    await verifyChallengeCode(ctx, { tenant, user, challengeId: row.challenge_code_id ?? "", otp });
  else {
    const tokens = (await findForUser(ctx.database.db, user.id)).filter(
      (token) => token.enabled === 1 && token.activated === 1 && oathTypes.some((t) => t.type === token.type),
    );
    await validateOtp(ctx, tenant, tokens, otp);
  }
  return accept(request, user.username);
}

async function answerPush(
  request: AccessRequest,
  row: RadiusChallengeRow,
  username: string,
  state: Buffer,
): Promise<AccessAnswer> {
  const { ctx, tenant } = request;
  const user = { id: row.user_id } as Parameters<typeof signInPushState>[1]["user"];
  const pushState = await signInPushState(ctx, { tenant, user, id: row.approval_id ?? "" });
  if (pushState === "pending")
    return {
      code: "Access-Challenge",
      attributes: [
        ["State", state],
        ["Reply-Message", replyTexts.waitingForPush],
      ],
      resultCode: ApiReturnCode.Success,
      username,
    };
  if (!(await spendRadiusChallenge(ctx, row))) throw unknownState();
  if (pushState === "approved") return accept(request, username);
  throw new TesseraError(ApiReturnCode.PartnerUserLoginFailedInvalidOTP, {
    message: `the sign-in push was ${pushState}`,
  });
}
