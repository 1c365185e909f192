import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { sendPage } from "../../pages/page-routes.ts";
import { continueRecovery, startRecovery } from "../../passwords/start-recovery.ts";
import { normaliseUsername } from "../../users/username.ts";
import type { SignIn } from "./sign-in-context.ts";
import { overSignInLimits } from "./sign-in-limits.ts";
import { forgotPage } from "./step-pages.ts";

export const showForgot = (s: SignIn) =>
  sendPage(s.reply, 200, ApiReturnCode.Success, s.t("forgotTitle"), forgotPage(s, false));

/**
 * "Forgot your password?": the existing recovery flow (passwords/start-recovery.ts), whose e-mail
 * links to /password-recovery. Every username gets the same answer at the same speed: nothing
 * about the account is looked at until the answer has left (continueRecovery runs after it).
 */
export async function postForgot(s: SignIn, body: Record<string, unknown>): Promise<void> {
  const username = typeof body.username === "string" ? normaliseUsername(body.username.slice(0, 254)) : "";
  s.request.auditSubject = `user:${username}`;
  // Over the pages' limits, nothing is started, and the answer is the same (RateLimited audited).
  const limited = await overSignInLimits(s);
  const started = username === "" || limited ? undefined : await startRecovery(s.ctx, s.tenant, username);
  if (started !== undefined && !("retryAt" in started)) {
    const { log, id } = s.request;
    s.reply.raw.once("finish", () => void continueRecovery(s.ctx, started, log, id));
  }
  const code = limited ? TesseraApiCode.RateLimited : ApiReturnCode.Success;
  await sendPage(s.reply, 200, code, s.t("forgotTitle"), forgotPage(s, true));
}
