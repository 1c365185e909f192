import { ApiReturnCode } from "@tessera/codes";
import { sendPage } from "../../pages/page-routes.ts";
import type { SignIn } from "./sign-in-context.ts";
import { bypass } from "./sign-in-context.ts";
import { denyConsent, finish } from "./sign-in-flow.ts";
import { moveSignIn } from "./sign-in-store.ts";
import { consentPage, continuePage } from "./step-pages.ts";

/** What the app asks for, as oidc-provider worked it out for this interaction. */
const requestedScopes = (s: SignIn): string[] => {
  const details = s.interaction.prompt.details as { missingOIDCScope?: string[] };
  return details.missingOIDCScope ?? String(s.interaction.params.scope ?? "openid").split(" ");
};

/** A third-party app's consent; a first-party (native) app's one-click "continue as" step. */
export const showConsent = (s: SignIn) =>
  s.app.firstParty
    ? sendPage(s.reply, 200, ApiReturnCode.Success, s.t("signInTitle"), continuePage(s))
    : sendPage(s.reply, 200, ApiReturnCode.Success, s.t("consentTitle"), consentPage(s, requestedScopes(s)));

/** A third-party app's consent: allow makes the grant and finishes; deny sends access_denied to the app. */
export async function postConsent(s: SignIn, body: Record<string, unknown>): Promise<void> {
  if (body.decision === "deny") return denyConsent(s, s.row);
  if (body.decision !== "allow") throw bypass("a consent post without a decision");
  const moved = await moveSignIn(s.ctx, s.row, { step: "done" });
  if (moved === undefined) throw bypass("the step was already taken by another request");
  return finish(s, moved);
}
