import type { TesseraConfig } from "../../config/tessera-config.ts";

/**
 * Setting combinations that could never send a message, found at start: a server that starts with
 * `smsTransport: smpp` and no gateway would only fail at the first user's sign-in.
 */
export function transportConfigProblems(config: Pick<TesseraConfig, "outOfBand" | "smpp">): string[] {
  const problems: string[] = [];
  const { outOfBand, smpp } = config;
  if (outOfBand.smsTransport === "smpp") {
    if (smpp.url === undefined)
      problems.push(
        "outOfBand.smsTransport is smpp, so smpp.url (TESSERA_SMPP_URL) must name the SMS gateway",
      );
    if (smpp.systemId === undefined)
      problems.push("outOfBand.smsTransport is smpp, so smpp.systemId (TESSERA_SMPP_SYSTEM_ID) must be set");
  }
  const webhookUsers = [
    ...(outOfBand.smsTransport === "webhook" ? ["outOfBand.smsTransport"] : []),
    ...(outOfBand.voiceTransport === "webhook" ? ["outOfBand.voiceTransport"] : []),
  ];
  if (webhookUsers.length > 0) {
    const why = `${webhookUsers.join(" and ")} ${webhookUsers.length > 1 ? "are" : "is"} webhook`;
    if (outOfBand.webhookUrl === undefined)
      problems.push(`${why}, so outOfBand.webhookUrl (TESSERA_OUT_OF_BAND_WEBHOOK_URL) must be set`);
    if (outOfBand.webhookSecret === undefined)
      problems.push(`${why}, so outOfBand.webhookSecret (TESSERA_OUT_OF_BAND_WEBHOOK_SECRET) must be set`);
  }
  // The body carries the code and the phone number: plain http only to a relay on this host.
  const webhook = outOfBand.webhookUrl === undefined ? undefined : new URL(outOfBand.webhookUrl);
  if (webhook?.protocol === "http:" && !loopbackHosts.has(webhook.hostname))
    problems.push(
      "outOfBand.webhookUrl (TESSERA_OUT_OF_BAND_WEBHOOK_URL) must be https: the message holds the code and the phone number (plain http only to 127.0.0.1, [::1] or localhost)",
    );
  return problems;
}

const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"]);
