import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Command } from "commander";
import { readInputFile } from "../../cli/input-file.ts";
import { ofxAccountTypes, ofxVersions } from "../ofx/ofx-options.ts";

/**
 * The options of `tessera link site add|update`, and the API body they make: the CLI sends its
 * input through the API's validation (site-validation.ts), so it is built as POST or PATCH takes it.
 */
export type Flags = Record<string, string | boolean | undefined>;

/** Numbers from the command line stay text when they are not numbers, for validation to name. */
const numeric = (value: string | boolean | undefined) =>
  typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;

/** The options as a body of POST or PATCH /v1/link/sites: only what was given. */
export function siteBody(o: Flags): Record<string, unknown> {
  const given = (entries: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
  const options = given({
    org: o.org,
    fid: o.fid,
    appId: o.appId,
    appVer: o.appVer,
    ofxVersion: o.ofxVersion,
    currency: o.currency,
    accountTypes:
      typeof o.accountTypes === "string" ? o.accountTypes.split(/[\s,]+/).filter(Boolean) : undefined,
  });
  const login = given({ label: o.loginLabel, maxLength: numeric(o.loginMaxLength) });
  const password = given({ label: o.passwordLabel, maxLength: numeric(o.passwordMaxLength) });
  const fields = given({
    login: Object.keys(login).length === 0 ? undefined : login,
    password: Object.keys(password).length === 0 ? undefined : password,
  });
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
  return given({
    name: o.name,
    organisation: o.organisation,
    kind: o.kind,
    url: o.url,
    options: Object.keys(options).length === 0 ? undefined : options,
    fields: Object.keys(fields).length === 0 ? undefined : fields,
    maxConcurrency: numeric(o.maxConcurrency),
    enabled: o.disable ? false : o.enable ? true : undefined,
    maintenance,
    tls: o.clearTlsCa
      ? { ca: null }
      : typeof o.tlsCaFile === "string"
        ? { ca: readInputFile(o.tlsCaFile) }
        : undefined,
  });
}

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
