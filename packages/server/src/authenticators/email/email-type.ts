import type { ChallengeDeviceType } from "../authenticator-type.ts";
import { normaliseEmailAddress } from "../challenge-destination.ts";

/** An e-mail address that takes codes by e-mail. */
export const emailType: ChallengeDeviceType = {
  kind: "challenge",
  type: "email",
  methods: ["email"],
  destination: "email",
  normalise: normaliseEmailAddress,
};
