import type { App } from "../../apps/app.ts";
import { emailFactor } from "./email.ts";
import { hotpFactor } from "./hotp.ts";
import { pushFactor } from "./push.ts";
import type { SecondFactor } from "./second-factor.ts";
import { smsFactor } from "./sms.ts";
import { totpFactor } from "./totp.ts";
import { voiceFactor } from "./voice.ts";

/** Every second factor the sign-in page offers, registered explicitly: one not listed does not exist. */
export const secondFactors: readonly SecondFactor[] = [
  totpFactor,
  hotpFactor,
  pushFactor,
  smsFactor,
  voiceFactor,
  emailFactor,
];

/** The factors an app accepts: those it names (`secondFactors`), or every registered one when it names none. */
export function factorsFor(app: App): SecondFactor[] {
  return secondFactors.filter((f) => app.secondFactors.length === 0 || app.secondFactors.includes(f.type));
}

export function factorNamed(app: App, type: unknown): SecondFactor | undefined {
  return factorsFor(app).find((f) => f.type === type);
}
