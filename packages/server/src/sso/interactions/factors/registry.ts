import type { App } from "../../apps/app.ts";
import { emailFactor } from "./email.ts";
import { hotpFactor } from "./hotp.ts";
import { pushFactor } from "./push.ts";
import type { SecondFactor } from "./second-factor.ts";
import { smsFactor } from "./sms.ts";
import { totpFactor } from "./totp.ts";
import { voiceFactor } from "./voice.ts";
import { webauthnFactor } from "./webauthn.ts";

/** Every second factor the sign-in page offers, registered explicitly: one not listed does not exist. */
export const secondFactors: readonly SecondFactor[] = [
  totpFactor,
  hotpFactor,
  pushFactor,
  smsFactor,
  voiceFactor,
  emailFactor,
  webauthnFactor,
];

/**
 * The factors an app accepts: those it names (`secondFactors`), or every registered one when it
 * names none; without those the first factor (`proved`, its amr) already was (SecondFactor.sameAsFirst).
 */
export function factorsFor(app: App, proved: readonly string[] = []): SecondFactor[] {
  return secondFactors.filter(
    (f) =>
      (app.secondFactors.length === 0 || app.secondFactors.includes(f.type)) &&
      (f.sameAsFirst === undefined || !proved.includes(f.sameAsFirst)),
  );
}

export function factorNamed(
  app: App,
  type: unknown,
  proved: readonly string[] = [],
): SecondFactor | undefined {
  return factorsFor(app, proved).find((f) => f.type === type);
}
