import { ApiReturnCode } from "@tessera/codes";
import type { DecodedPacket } from "radius";
import { textAttribute } from "./access-request.ts";

const statusTypes = new Map([
  ["Start", "start"],
  ["Stop", "stop"],
  ["Interim-Update", "interim-update"],
  ["Accounting-On", "accounting-on"],
  ["Accounting-Off", "accounting-off"],
]);

/**
 * What an Accounting-Request adds to the audit trail: who, and whether the session started or
 * stopped (RFC 2866 Acct-Status-Type). Only these fixed words reach the trail, never free text a
 * NAS sent, so a client cannot write arbitrary strings into it; the user name is the one the NAS
 * reports, marked as such.
 */
export function answerAccounting(packet: DecodedPacket): {
  operation: string;
  subject: string | null;
  resultCode: number;
} {
  const status = packet.attributes["Acct-Status-Type"];
  const word = typeof status === "string" ? (statusTypes.get(status) ?? "other") : "other";
  const username = textAttribute(packet, "User-Name");
  return {
    operation: `radius.accounting.${word}`,
    subject:
      username === undefined ? null : `radius-user:${username.slice(0, 128).replace(/[^\x20-\x7e]/g, "?")}`,
    resultCode: ApiReturnCode.Success,
  };
}
