import type { PushDeviceType } from "../authenticator-type.ts";

/** A phone app enrolled by a one-time link; it answers approval requests with signatures (push/). */
export const pushType: PushDeviceType = { kind: "push", type: "push" };
