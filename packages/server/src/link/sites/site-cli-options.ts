import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Command } from "commander";
import { readInputFile } from "../../cli/input-file.ts";
import { ofxAccountTypes, ofxVersions } from "../ofx/ofx-options.ts";
import { type SiteRecord, siteFromRecord, siteRecordNames } from "./site-record.ts";

/**
 * The options of `tessera link site add|update`, and the API body they make: the CLI sends its
 * input through the API's validation (site-validation.ts), so it is built as POST or PATCH takes it.
 */
export type Flags = Record<string, string | boolean | undefined>;

/** The options as a body of POST or PATCH /v1/link/sites: only what was given. */
export function siteBody(o: Flags): Record<string, unknown> {
  let maintenance: unknown;
  if (typeof o.maintenance === "string") {
    try {
      maintenance = JSON.parse(o.maintenance);
    } catch {
      throw new TesseraError(TesseraApiCode.MalformedRequest, {
        message: "--maintenance must be a JSON array of windows",
      });
    }
  }
  const tls = o.clearTlsCa
    ? { ca: null }
    : typeof o.tlsCaFile === "string"
      ? { ca: readInputFile(o.tlsCaFile) }
      : undefined;
  // The flags a CSV column also has are mapped with it (site-record.ts); the id is an argument.
  const { id: _id, ...record } = pickRecord(o);
  return {
    ...siteFromRecord({ ...record, enabled: o.disable ? false : o.enable ? true : undefined }),
    ...(maintenance === undefined ? {} : { maintenance }),
    ...(tls === undefined ? {} : { tls }),
  };
}

/** The flags named like a site record's entries (commander's camelCase of --login-max-length &c.). */
const pickRecord = (o: Flags): SiteRecord =>
  Object.fromEntries(siteRecordNames.map((name) => [name, o[name]]));

export function withSiteOptions(command: Command): Command {
  return command
    .option("--name <name>")
    .option("--organisation <organisation>")
    .option("--kind <kind>", "personal-banking, business-banking, credit-card or brokerage")
    .option("--url <url>", "the OFX Direct Connect URL (https)")
    .option("--org <org>", "OFX <ORG>")
    .option("--fid <fid>", "OFX <FID>")
    .option("--app-id <appId>", "OFX APPID (default QWIN)")
    .option("--app-ver <appVer>", "OFX APPVER (default 2700)")
    .option(
      "--ofx-version <version>",
      `${ofxVersions.slice(0, -1).join(", ")} or ${ofxVersions.at(-1)} (default 102)`,
    )
    .option("--currency <code>", "ISO 4217 (default USD)")
    .option(
      "--account-types <list>",
      `of ${ofxAccountTypes.join(", ")}, separated by commas or spaces (default all)`,
    )
    .option("--login-label <label>", 'the login field\'s label, e.g. "Customer ID"')
    .option("--login-max-length <n>")
    .option("--password-label <label>", 'the password field\'s label, e.g. "PIN"')
    .option("--password-max-length <n>")
    .option("--max-concurrency <n>", "jobs of this site at once, across all processes (default 4)")
    .option("--maintenance <json>", "maintenance windows, a JSON array (docs/link.md)")
    .option("--tls-ca-file <file>", "PEM certificates to trust for this site")
    .option("--json", "print JSON");
}
