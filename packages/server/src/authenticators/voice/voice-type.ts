import type { ChallengeDeviceType } from "../authenticator-type.ts";
import { normalisePhoneNumber } from "../challenge-destination.ts";

/** A phone number (a landline too) that takes codes read out by a voice call only. */
export const voiceType: ChallengeDeviceType = {
  kind: "challenge",
  type: "voice",
  methods: ["voice"],
  destination: "phone",
  normalise: normalisePhoneNumber,
};
