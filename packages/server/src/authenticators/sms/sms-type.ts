import type { ChallengeDeviceType } from "../authenticator-type.ts";
import { normalisePhoneNumber } from "../challenge-destination.ts";

/** A mobile number that takes codes by SMS (and by voice call when asked: `method: "voice"`). */
export const smsType: ChallengeDeviceType = {
  kind: "challenge",
  type: "sms",
  methods: ["sms", "voice"],
  destination: "phone",
  normalise: normalisePhoneNumber,
};
