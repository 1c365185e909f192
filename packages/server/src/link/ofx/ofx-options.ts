import { createHash } from "node:crypto";
import { CredentialStatus } from "@tessera/codes";
import { ConnectorFailure } from "../connectors/connector.ts";
import type { Site } from "../sites/site.ts";

/**
 * An OFX site's connector options (site.options), read once per request with their defaults.
 * APPID/APPVER default to Quicken's (QWIN 2700): most Direct Connect servers admit only the
 * applications they know, and Quicken for Windows is the one every server knows.
 */
export const sgmlVersions = ["102", "103", "151", "160"] as const;
export const xmlVersions = ["200", "201", "202", "203", "210", "211", "220"] as const;
export type OfxVersion = (typeof sgmlVersions)[number] | (typeof xmlVersions)[number];
export const ofxVersions = [...sgmlVersions, ...xmlVersions] as const;

/** The account kinds OFX lists (ACCTTYPE, lower case, creditcard for CCACCTINFO, investment for INVACCTINFO). */
export const ofxAccountTypes = [
  "checking",
  "savings",
  "moneymrkt",
  "cd",
  "creditline",
  "creditcard",
  "investment",
] as const;

/**
 * ORG, FID, APPID and APPVER travel inside SGML/XML as they are: printable ASCII without the
 * characters markup reads (<, > and &). The ONE rule: the API's schema (site-input.ts) is built
 * from this pattern, so a site the API accepts is a site the worker runs.
 */
export const OFX_TOKEN_MAX = 32;
export const OFX_TOKEN_PATTERN = `^[\\x20-\\x25\\x27-\\x3b\\x3d\\x3f-\\x7e]{1,${OFX_TOKEN_MAX}}$`;
export const OFX_TOKEN_RULE = `1 to ${OFX_TOKEN_MAX} printable ASCII characters, without <, > or &`;
const ofxToken = new RegExp(OFX_TOKEN_PATTERN);
export const OFX_CURRENCY_PATTERN = "^[A-Z]{3}$";
const ofxCurrency = new RegExp(OFX_CURRENCY_PATTERN);

export interface OfxOptions {
  readonly org: string;
  readonly fid: string;
  readonly appId: string;
  readonly appVer: string;
  readonly version: OfxVersion;
  readonly currency: string;
  /** Undefined: every account the server lists. */
  readonly accountTypes: ReadonlySet<string> | undefined;
}

const versions: readonly string[] = ofxVersions;

/** Why the options are unusable, or undefined. Shared by the connector and the connection test. */
export function ofxOptionsProblem(options: Readonly<Record<string, string>> = {}): string | undefined {
  if (options.ofxVersion !== undefined && !versions.includes(options.ofxVersion))
    return `ofxVersion must be one of ${versions.join(", ")}`;
  // OFX sends these as they are: a server would refuse a longer one or read markup into it.
  for (const key of ["appId", "appVer", "org", "fid"] as const) {
    const value = options[key];
    if (value !== undefined && !ofxToken.test(value)) return `${key} must be ${OFX_TOKEN_RULE}`;
  }
  if (options.currency !== undefined && !ofxCurrency.test(options.currency))
    return "currency must be an ISO 4217 code (three capital letters)";
  for (const type of splitTypes(options.accountTypes))
    if (!(ofxAccountTypes as readonly string[]).includes(type))
      return `accountTypes may list only ${ofxAccountTypes.join(", ")}`;
  return undefined;
}

function splitTypes(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "");
}

export function ofxOptions(site: Site): OfxOptions {
  const options = site.options ?? {};
  const problem = ofxOptionsProblem(options);
  // A misconfigured site is the operator's to fix, not the user's: Error, never a login status.
  if (problem !== undefined)
    throw new ConnectorFailure(
      CredentialStatus.Error,
      `the site's configuration is invalid (an operator must change the site): ${problem}`,
      { permanent: true },
    );
  const types = splitTypes(options.accountTypes);
  return {
    org: options.org ?? "",
    fid: options.fid ?? "",
    appId: options.appId ?? "QWIN",
    appVer: options.appVer ?? "2700",
    version: (options.ofxVersion ?? "102") as OfxVersion,
    currency: options.currency ?? "USD",
    accountTypes: types.length === 0 ? undefined : new Set(types),
  };
}

/** CLIENTUID exists from OFX 1.0.3 and 2.0.3 on; older servers refuse an element they do not know. */
export const sendsClientUid = (version: OfxVersion) =>
  version !== "102" && !["200", "201", "202"].includes(version);

/**
 * The CLIENTUID: stable for one login at one site, so a bank that registers the "device" at the
 * first signon (and asks the user to approve it out of band) sees the same one at every sync,
 * from any server process. Derived, not stored: a credential's sessions do not outlive its jobs.
 * It is a digest of the site and login the bank already knows, formatted as a UUID (version 8).
 */
export function clientUid(siteId: string, login: string): string {
  const hex = createHash("sha256").update(`tessera-ofx-clientuid\0${siteId}\0${login}`).digest("hex");
  const variant = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
